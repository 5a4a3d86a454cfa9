-- +goose Up
-- One row per delivery key (a Slack event_id, a message's channel and ts,
-- a Discord interaction id): a replica claims a key with one INSERT ... ON
-- CONFLICT on the primary key, so two replicas never both hold it. holder
-- is the claiming replica's boot id (replicas.id); a claim is taken over
-- when it was released, when it is older than the claim lease, or when
-- its holder has stopped refreshing replicas.seen_at. Rows older than the
-- dedupe window are deleted by the leader.
CREATE TABLE deliveries (
    key         text PRIMARY KEY,
    first_seen  timestamptz NOT NULL,
    done        boolean NOT NULL DEFAULT false,
    holder      text,
    claimed_at  timestamptz,
    data        jsonb
);
CREATE INDEX deliveries_first_seen ON deliveries (first_seen);

-- +goose Down
DROP TABLE deliveries;
