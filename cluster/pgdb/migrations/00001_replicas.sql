-- +goose Up
-- Every replica records itself here at start and refreshes seen_at while it
-- runs: `briefbot db status` lists the replicas seen recently.
CREATE TABLE replicas (
    id          text PRIMARY KEY,
    hostname    text NOT NULL,
    version     text NOT NULL,
    started_at  timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL
);

-- +goose Down
DROP TABLE replicas;
