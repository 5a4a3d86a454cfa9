-- +goose Up
-- Why a 👎 was given (doesn't answer, wrong article, out of date): a line
-- of its own after the 👎, with the same question and articles.
ALTER TABLE votes ADD COLUMN reason text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE votes DROP COLUMN reason;
