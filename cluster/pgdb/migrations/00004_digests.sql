-- +goose Up
-- The channels' own digest subscriptions (the configured ones stay in the
-- configuration).
CREATE TABLE digest_subscriptions (
    platform    text NOT NULL,
    channel     text NOT NULL,
    at_time     text NOT NULL,
    timezone    text NOT NULL,
    win         text NOT NULL,
    skip_empty  boolean NOT NULL DEFAULT false,
    created     timestamptz NOT NULL,
    PRIMARY KEY (platform, channel)
);

-- The digest ledger: one row per target (platform:channel) and day. A
-- replica claims the run by inserting the row (or taking over a claim
-- whose holder died or whose lease ended), posts, then records posted_at
-- and the platform's message id. A row with posted_at is the day's post.
CREATE TABLE digest_runs (
    target      text NOT NULL,
    day         text NOT NULL,
    holder      text,
    claimed_at  timestamptz,
    posted_at   timestamptz,
    skipped     boolean NOT NULL DEFAULT false,
    message_id  text,
    stories     jsonb,
    PRIMARY KEY (target, day)
);

-- +goose Down
DROP TABLE digest_runs;
DROP TABLE digest_subscriptions;
