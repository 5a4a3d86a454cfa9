// Package pgcorpus keeps briefbot's corpus in PostgreSQL (cluster mode):
// the database is the source of truth for the articles, their sentence and
// chunk spans and their chunk vectors, and every replica keeps its own
// in-memory index, which it loads at start and keeps up to date by
// following the database's changes (see Follower).
//
// Every write transaction raises the corpus version by one and stamps the
// rows it changes with it; a delete leaves a tombstone. Writers lock the
// version row first, so versions commit in order, and "every change up to
// version V" is a consistent state a replica can serve. A commit notifies
// a channel (LISTEN/NOTIFY) named after the schema, so replicas apply it at
// once; they also poll the version, in case a notification is lost while
// they reconnect.
//
// The tables are created by migration 00010 (cluster/pgdb/migrations).
package pgcorpus

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/store"
)

// ErrEmbedderMismatch reports a write of vectors made by another embedder
// than the one the database's corpus was built with. It wraps
// store.ErrEmbedderMismatch.
var ErrEmbedderMismatch = fmt.Errorf("corpus database: %w", store.ErrEmbedderMismatch)

// Corpus is the corpus tables of one schema.
type Corpus struct {
	pool    *pgxpool.Pool
	channel string
}

// New returns the corpus in the pool's current schema (migrated by
// pgdb.Migrate).
func New(ctx context.Context, pool *pgxpool.Pool) (*Corpus, error) {
	var schema string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, fmt.Errorf("corpus database: %w", err)
	}
	// Notifications are per database: the schema in the channel's name keeps
	// deployments (and tests) sharing a database apart. A channel name is at
	// most 63 bytes: a long schema name is replaced by its hash.
	channel := "briefbot_corpus." + schema
	if len(channel) > 63 {
		sum := sha256.Sum256([]byte(schema))
		channel = "briefbot_corpus." + hex.EncodeToString(sum[:16])
	}
	return &Corpus{pool: pool, channel: channel}, nil
}

// Pool returns the corpus's pool.
func (c *Corpus) Pool() *pgxpool.Pool { return c.pool }

// Channel is the LISTEN/NOTIFY channel a commit notifies, with the new
// version as payload.
func (c *Corpus) Channel() string { return c.channel }

// Info describes the corpus in the database.
type Info struct {
	// Embedder and Dim say which embedder made the stored vectors ("" and 0
	// before the first write).
	Embedder string
	Dim      int
	// Version is the version of the last committed change (0: none).
	Version int64
	// ChangedAt is when that change committed.
	ChangedAt time.Time
	// Articles is the number of live articles (Load and Stats fill it).
	Articles int
}

const infoSQL = "SELECT coalesce(embedder, ''), coalesce(dim, 0), version, changed_at FROM corpus_info"

func scanInfo(row pgx.Row) (Info, error) {
	var in Info
	err := row.Scan(&in.Embedder, &in.Dim, &in.Version, &in.ChangedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return in, errors.New("corpus database: the corpus_info row is missing (run `briefbot db migrate` on an empty schema)")
	}
	return in, err
}

// Info returns the corpus's embedder and version.
func (c *Corpus) Info(ctx context.Context) (Info, error) {
	in, err := scanInfo(c.pool.QueryRow(ctx, infoSQL))
	if err != nil {
		return in, fmt.Errorf("corpus database: %w", err)
	}
	return in, nil
}

// Stats returns Info with the number of live articles.
func (c *Corpus) Stats(ctx context.Context) (Info, error) {
	in, err := c.Info(ctx)
	if err != nil {
		return in, err
	}
	if err := c.pool.QueryRow(ctx, "SELECT count(*) FROM corpus_articles WHERE NOT deleted").Scan(&in.Articles); err != nil {
		return in, fmt.Errorf("corpus database: %w", err)
	}
	return in, nil
}

// Hashes returns every live article's content hash by id, for a writer to
// skip the articles that have not changed before preparing them.
func (c *Corpus) Hashes(ctx context.Context) (map[string]string, error) {
	rows, err := c.pool.Query(ctx, "SELECT id, hash FROM corpus_articles WHERE NOT deleted")
	if err != nil {
		return nil, fmt.Errorf("corpus database: %w", err)
	}
	out := map[string]string{}
	var id, hash string
	_, err = pgx.ForEachRow(rows, []any{&id, &hash}, func() error {
		out[id] = hash
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("corpus database: %w", err)
	}
	return out, nil
}

// WriteResult is what a Write did.
type WriteResult struct {
	// Added, Updated and Unchanged count the articles (an unchanged one has
	// the content hash already stored: nothing is written for it).
	Added, Updated, Unchanged int
	// Version is the corpus version after the write.
	Version int64
}

// Write stores prepared articles in one transaction: an id not stored (or
// deleted) is added, one with another content hash replaced, one with the
// same hash left alone. Vectors must come from the embedder the corpus was
// built with (name and dimension; the first write records them): otherwise
// nothing is written and the error wraps ErrEmbedderMismatch. A write that
// changes something raises the version and notifies the replicas on commit.
func (c *Corpus) Write(ctx context.Context, embedder string, dim int, arts []engine.PreparedArticle) (WriteResult, error) {
	var res WriteResult
	if embedder == "" || dim <= 0 {
		return res, errors.New("corpus database: write without an embedder")
	}
	for _, p := range arts {
		if err := checkPrepared(p, dim); err != nil {
			return res, err
		}
	}
	err := c.tx(ctx, func(tx pgx.Tx) error {
		in, err := lockInfo(ctx, tx, embedder, dim)
		if err != nil {
			return err
		}
		v := in.Version + 1
		b := &pgx.Batch{}
		for _, p := range arts {
			a := p.Article
			var pub *time.Time
			if !a.Published.IsZero() {
				t := a.Published.UTC()
				pub = &t
			}
			b.Queue(`INSERT INTO corpus_articles AS o (id, seq, deleted, title, source, url, published, ingested_ns, hash, body, sentences, chunk_starts, vectors, collection)
VALUES ($1, $2, false, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, deleted = false, title = EXCLUDED.title, source = EXCLUDED.source, collection = EXCLUDED.collection,
  url = EXCLUDED.url, published = EXCLUDED.published, ingested_ns = EXCLUDED.ingested_ns, hash = EXCLUDED.hash,
  body = EXCLUDED.body, sentences = EXCLUDED.sentences, chunk_starts = EXCLUDED.chunk_starts, vectors = EXCLUDED.vectors
WHERE o.deleted OR o.hash <> EXCLUDED.hash
RETURNING (SELECT count(*) FROM corpus_articles WHERE id = $1 AND NOT deleted)`,
				a.ID, v, a.Title, a.Source, a.URL, pub, a.Ingested.UnixNano(), a.Hash, a.Body,
				flatSpans(a.Sentences), int32s(a.ChunkStarts), encodeVectors(p.Vectors), a.Collection)
		}
		br := tx.SendBatch(ctx, b)
		for range arts {
			// RETURNING's sub-select sees the row as it was before this
			// statement: 1 when it replaced a live article.
			var existed int64
			err := br.QueryRow().Scan(&existed)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				res.Unchanged++
			case err != nil:
				br.Close()
				return err
			case existed > 0:
				res.Updated++
			default:
				res.Added++
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
		res.Version = in.Version
		if res.Added+res.Updated == 0 {
			return nil
		}
		res.Version = v
		return bump(ctx, tx, c.channel, v)
	})
	if err != nil {
		return WriteResult{}, err
	}
	return res, nil
}

// Delete removes articles by id (leaving tombstones) and returns the ids
// that were live, and the version after the delete.
func (c *Corpus) Delete(ctx context.Context, ids []string) ([]string, int64, error) {
	var gone []string
	var version int64
	err := c.tx(ctx, func(tx pgx.Tx) error {
		gone = nil
		in, err := lockInfo(ctx, tx, "", 0)
		if err != nil {
			return err
		}
		v := in.Version + 1
		rows, err := tx.Query(ctx, `UPDATE corpus_articles SET seq = $1, deleted = true, body = '', sentences = '{}', chunk_starts = '{}', vectors = ''
WHERE id = ANY($2) AND NOT deleted RETURNING id`, v, ids)
		if err != nil {
			return err
		}
		gone, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		version = in.Version
		if len(gone) == 0 {
			return nil
		}
		version = v
		return bump(ctx, tx, c.channel, v)
	})
	if err != nil {
		return nil, 0, err
	}
	return gone, version, nil
}

// tx runs fn in a transaction and commits it.
func (c *Corpus) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, c.pool, fn)
	if err != nil && !errors.Is(err, store.ErrEmbedderMismatch) {
		return fmt.Errorf("corpus database: %w", err)
	}
	return err
}

// lockInfo locks the version row (serialising writers, so that versions
// commit in order) and checks, or with the first write records, the
// embedder. An empty embedder checks nothing (a delete).
func lockInfo(ctx context.Context, tx pgx.Tx, embedder string, dim int) (Info, error) {
	in, err := scanInfo(tx.QueryRow(ctx, infoSQL+" FOR UPDATE"))
	if err != nil {
		return in, err
	}
	if embedder == "" {
		return in, nil
	}
	if in.Embedder == "" {
		if _, err := tx.Exec(ctx, "UPDATE corpus_info SET embedder = $1, dim = $2", embedder, dim); err != nil {
			return in, err
		}
		in.Embedder, in.Dim = embedder, dim
		return in, nil
	}
	if in.Embedder != embedder || in.Dim != dim {
		return in, fmt.Errorf("%w: the database's corpus was built with %s, this briefbot is configured for %s; set BRIEFBOT_EMBEDDER back to %s",
			ErrEmbedderMismatch, embed.Describe(in.Embedder, in.Dim), embed.Describe(embedder, dim), in.Embedder)
	}
	return in, nil
}

// bump records version v as committed and notifies the replicas (the
// notification is delivered when the transaction commits).
func bump(ctx context.Context, tx pgx.Tx, channel string, v int64) error {
	if _, err := tx.Exec(ctx, "UPDATE corpus_info SET version = $1, changed_at = now()", v); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", channel, fmt.Sprint(v))
	return err
}

const articleCols = "id, deleted, title, source, url, published, ingested_ns, hash, body, sentences, chunk_starts, vectors, collection"

// Load reads every live article, calling fn for each (in no particular
// order), from one consistent snapshot, and returns the corpus's Info as
// of that snapshot (Version is the version the articles are at).
func (c *Corpus) Load(ctx context.Context, fn func(engine.PreparedArticle) error) (Info, error) {
	var in Info
	err := c.readTx(ctx, func(tx pgx.Tx) error {
		var err error
		if in, err = scanInfo(tx.QueryRow(ctx, infoSQL)); err != nil {
			return err
		}
		in.Articles = 0
		return scanArticles(ctx, tx, in.Dim, "SELECT "+articleCols+" FROM corpus_articles WHERE NOT deleted", nil, func(p engine.PreparedArticle, _ bool) error {
			in.Articles++
			return fn(p)
		})
	})
	return in, err
}

// Changes returns the articles changed after version since, as puts (their
// current content) and deletes (ids), and the version they bring a
// replica to, from one consistent snapshot.
func (c *Corpus) Changes(ctx context.Context, since int64) (puts []engine.PreparedArticle, deletes []string, in Info, err error) {
	err = c.readTx(ctx, func(tx pgx.Tx) error {
		puts, deletes = nil, nil
		var err error
		if in, err = scanInfo(tx.QueryRow(ctx, infoSQL)); err != nil {
			return err
		}
		if in.Version <= since {
			return nil
		}
		return scanArticles(ctx, tx, in.Dim, "SELECT "+articleCols+" FROM corpus_articles WHERE seq > $1", []any{since}, func(p engine.PreparedArticle, deleted bool) error {
			if deleted {
				deletes = append(deletes, p.Article.ID)
			} else {
				puts = append(puts, p)
			}
			return nil
		})
	})
	return puts, deletes, in, err
}

func (c *Corpus) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	err := pgx.BeginTxFunc(ctx, c.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
	if err != nil {
		return fmt.Errorf("corpus database: %w", err)
	}
	return nil
}

// scanArticles decodes each row of query; a tombstone comes with only its id.
func scanArticles(ctx context.Context, tx pgx.Tx, dim int, query string, args []any, fn func(engine.PreparedArticle, bool) error) error {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a         store.StoredArticle
			deleted   bool
			published *time.Time
			ingested  int64
			sents     []int32
			chunks    []int32
			vecs      []byte
		)
		if err := rows.Scan(&a.ID, &deleted, &a.Title, &a.Source, &a.URL, &published, &ingested, &a.Hash, &a.Body, &sents, &chunks, &vecs, &a.Collection); err != nil {
			return err
		}
		if deleted {
			if err := fn(engine.PreparedArticle{Article: &a}, true); err != nil {
				return err
			}
			continue
		}
		p, err := decode(&a, published, ingested, sents, chunks, vecs, dim)
		if err != nil {
			return fmt.Errorf("article %q: %w", a.ID, err)
		}
		if err := fn(p, false); err != nil {
			return err
		}
	}
	return rows.Err()
}

// decode checks a row and completes its article: a damaged row is an error
// naming it, never a span that would slice outside the body.
func decode(a *store.StoredArticle, published *time.Time, ingested int64, sents, chunks []int32, vecs []byte, dim int) (engine.PreparedArticle, error) {
	if published != nil {
		a.Published = published.UTC()
	}
	a.Ingested = time.Unix(0, ingested).UTC()
	n := len(a.Body)
	if len(sents)%2 != 0 {
		return engine.PreparedArticle{}, errors.New("damaged sentence spans")
	}
	a.Sentences = make([]retrieval.Span, 0, len(sents)/2)
	for i := 0; i < len(sents); i += 2 {
		s, e := int(sents[i]), int(sents[i+1])
		if s < 0 || e > n || s > e || (i > 0 && s < int(sents[i-2])) {
			return engine.PreparedArticle{}, fmt.Errorf("sentence %d out of range", i/2)
		}
		a.Sentences = append(a.Sentences, retrieval.Span{Start: s, End: e})
	}
	a.ChunkStarts = make([]int, len(chunks))
	for i, c := range chunks {
		if c < 0 || int(c) > n || (i > 0 && c < chunks[i-1]) {
			return engine.PreparedArticle{}, errors.New("chunk boundaries out of range")
		}
		a.ChunkStarts[i] = int(c)
	}
	a.Chunks = len(a.ChunkStarts)
	if dim <= 0 || len(vecs) != len(chunks)*dim*4 {
		return engine.PreparedArticle{}, fmt.Errorf("%d bytes of vectors for %d chunks of dimension %d", len(vecs), len(chunks), dim)
	}
	return engine.PreparedArticle{Article: a, Vectors: decodeVectors(vecs, len(chunks), dim)}, nil
}

func checkPrepared(p engine.PreparedArticle, dim int) error {
	if p.Article == nil || p.Article.ID == "" {
		return errors.New("corpus database: write of an article without an id")
	}
	if len(p.Vectors) != len(p.Article.ChunkStarts) {
		return fmt.Errorf("corpus database: write %q: %d vectors for %d chunks", p.Article.ID, len(p.Vectors), len(p.Article.ChunkStarts))
	}
	for _, v := range p.Vectors {
		if len(v) != dim {
			return fmt.Errorf("%w: write %q: vector of dimension %d, expected %d", ErrEmbedderMismatch, p.Article.ID, len(v), dim)
		}
	}
	if len(p.Article.Body) > math.MaxInt32 {
		return fmt.Errorf("corpus database: write %q: body too long", p.Article.ID)
	}
	return nil
}

func flatSpans(ss []retrieval.Span) []int32 {
	out := make([]int32, 0, 2*len(ss))
	for _, s := range ss {
		out = append(out, int32(s.Start), int32(s.End))
	}
	return out
}

func int32s(xs []int) []int32 {
	out := make([]int32, len(xs))
	for i, x := range xs {
		out[i] = int32(x)
	}
	return out
}

// encodeVectors concatenates the vectors as little-endian float32.
func encodeVectors(vs [][]float32) []byte {
	n := 0
	for _, v := range vs {
		n += 4 * len(v)
	}
	b := make([]byte, 0, n)
	for _, v := range vs {
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	}
	return b
}

// decodeVectors splits b into n vectors of dim float32 (one backing array).
func decodeVectors(b []byte, n, dim int) [][]float32 {
	all := make([]float32, n*dim)
	for i := range all {
		all[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	out := make([][]float32, n)
	for i := range out {
		out[i] = all[i*dim : (i+1)*dim : (i+1)*dim]
	}
	return out
}
