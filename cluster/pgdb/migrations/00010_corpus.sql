-- +goose Up
-- The corpus in cluster mode (retrieval/pgcorpus). corpus_info is one row:
-- the embedder every stored vector was made by (NULL until the first write)
-- and the corpus version, raised by one in every write transaction. A
-- writer locks the row first (SELECT ... FOR UPDATE), so versions commit in
-- order: a replica that has applied every change up to version V never
-- misses one numbered below V that commits later.
CREATE TABLE corpus_info (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    embedder    text,
    dim         integer CHECK (dim > 0),
    version     bigint NOT NULL DEFAULT 0,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO corpus_info DEFAULT VALUES;

-- One row per article id. seq is the corpus version of its last change; a
-- deleted article stays as a tombstone (deleted, body and vectors emptied)
-- so that a replica following the changes sees the delete.
-- sentences holds start,end pairs (byte offsets in body); chunk_starts the
-- chunk boundaries; vectors every chunk's unit vector, dim little-endian
-- float32 each, in chunk order. ingested_ns keeps the ingest time to the
-- nanosecond (the replicas order articles by it, as the local store does).
CREATE TABLE corpus_articles (
    id            text PRIMARY KEY,
    seq           bigint NOT NULL,
    deleted       boolean NOT NULL DEFAULT false,
    title         text NOT NULL DEFAULT '',
    source        text NOT NULL DEFAULT '',
    url           text NOT NULL DEFAULT '',
    published     timestamptz,
    ingested_ns   bigint NOT NULL,
    hash          text NOT NULL,
    body          text NOT NULL,
    sentences     integer[] NOT NULL,
    chunk_starts  integer[] NOT NULL,
    vectors       bytea NOT NULL
);
CREATE INDEX corpus_articles_seq ON corpus_articles (seq);

-- +goose Down
DROP TABLE corpus_articles;
DROP TABLE corpus_info;
