-- +goose Up
-- Feedback (👍/👎 on answers). key is the click's identity: a replayed or
-- redelivered click inserts nothing (unique), wherever it arrives.
CREATE TABLE votes (
    id           bigserial PRIMARY KEY,
    key          text UNIQUE,
    platform     text NOT NULL,
    question     text NOT NULL,
    article_ids  text[] NOT NULL DEFAULT '{}',
    user_id      text NOT NULL,
    vote         text NOT NULL CHECK (vote IN ('up', 'down')),
    at           timestamptz NOT NULL
);

-- +goose Down
DROP TABLE votes;
