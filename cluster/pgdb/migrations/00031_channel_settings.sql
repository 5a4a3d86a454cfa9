-- +goose Up
-- Per-channel settings changed with /brief settings (the configuration
-- file's win over them), shared by the replicas.
CREATE TABLE channel_settings (
    key         text PRIMARY KEY,
    settings    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE channel_settings;
