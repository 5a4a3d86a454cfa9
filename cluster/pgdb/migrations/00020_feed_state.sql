-- +goose Up
-- The feed follower's state (validators, items seen, last poll and error
-- of each followed feed) as one JSON document: whichever replica leads
-- polls the feeds and continues where the last leader stopped.
CREATE TABLE feed_state (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE feed_state;
