-- +goose Up
-- Named leases (the leader lease): taken and renewed with one INSERT ... ON
-- CONFLICT DO UPDATE ... WHERE expired OR held by the same replica.
CREATE TABLE leases (
    name         text PRIMARY KEY,
    holder       text NOT NULL,
    acquired_at  timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);

-- +goose Down
DROP TABLE leases;
