-- +goose Up
-- An article's collection label ('' none): channels can be restricted to
-- some collections.
ALTER TABLE corpus_articles ADD COLUMN collection text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE corpus_articles DROP COLUMN collection;
