-- +goose Up
-- Conversations (a Slack thread, a Discord follow-up chain): the last
-- turns, so that a follow-up reaching any replica is read with the
-- questions before it. A turn is appended in one statement (the array is
-- extended and trimmed in the database, never read and written back).
CREATE TABLE conversations (
    key         text PRIMARY KEY,
    turns       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX conversations_updated_at ON conversations (updated_at);

-- +goose Down
DROP TABLE conversations;
