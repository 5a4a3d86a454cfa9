package pgcorpus_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/briefbot/briefbot/cluster/pgdb/pgdbtest"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/pgcorpus"
	"github.com/briefbot/briefbot/retrieval/store"
	"github.com/briefbot/briefbot/seeds"
)

var clock = time.Date(2025, 12, 8, 12, 0, 0, 0, time.UTC)

func opts(dim int) engine.Options {
	return engine.Options{Embedder: embed.NewHash(dim), Now: func() time.Time { return clock }}
}

func seedArticles(t *testing.T) []retrieval.Article {
	t.Helper()
	var arts []retrieval.Article
	if err := ingest.ReadFS(seeds.FS(), func(a retrieval.Article) error {
		arts = append(arts, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return arts
}

func newEngine(t *testing.T, dim int) *engine.Engine {
	t.Helper()
	e, err := engine.NewMemory(context.Background(), opts(dim))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// write prepares arts with e and writes them to c.
func write(t *testing.T, c *pgcorpus.Corpus, e *engine.Engine, arts ...retrieval.Article) pgcorpus.WriteResult {
	t.Helper()
	ctx := context.Background()
	preps, err := e.Prepare(ctx, arts)
	if err != nil {
		t.Fatal(err)
	}
	info := e.Store().Info()
	res, err := c.Write(ctx, info.Embedder, info.Dim, preps)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func newCorpus(t *testing.T, pool *pgxpool.Pool) *pgcorpus.Corpus {
	t.Helper()
	c, err := pgcorpus.New(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// follow runs a follower of c over a fresh engine until the test ends.
func follow(t *testing.T, c *pgcorpus.Corpus, dim int) *pgcorpus.Follower {
	t.Helper()
	f := pgcorpus.NewFollower(c, newEngine(t, dim), nil)
	f.PollInterval = 500 * time.Millisecond
	f.MaxBackoff = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("follower: %v", err)
		}
	})
	return f
}

// waitFor waits for cond on f's status, failing after d.
func waitFor(t *testing.T, f *pgcorpus.Follower, d time.Duration, what string, cond func(pgcorpus.Status) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := f.Wait(ctx, cond); err != nil {
		t.Fatalf("waiting %s for %s: %v (status %+v)", d, what, err, f.Status())
	}
}

func questions(t *testing.T) []string {
	t.Helper()
	var qs []string
	for _, name := range []string{"seeds_answerable.jsonl", "seeds_unanswerable.jsonl"} {
		f, err := os.Open(filepath.Join("..", "engine", "testdata", "questions", name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var q struct{ Question string }
			if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
				t.Fatal(err)
			}
			qs = append(qs, q.Question)
		}
		f.Close()
	}
	if len(qs) < 20 {
		t.Fatalf("only %d seed questions", len(qs))
	}
	return qs
}

func answers(t *testing.T, e *engine.Engine, qs []string) []string {
	t.Helper()
	out := make([]string, len(qs))
	for i, q := range qs {
		res, err := e.Search(context.Background(), retrieval.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

// A corpus written to the database and loaded by a replica answers every
// seed question exactly as the same articles ingested into a local store,
// saved and loaded again, do; the stored articles and vectors are the same.
func TestRoundTripMatchesLocalStore(t *testing.T) {
	db := pgdbtest.New(t)
	ctx := context.Background()
	arts := seedArticles(t)

	dir := t.TempDir()
	w, err := engine.OpenForWrite(ctx, dir, opts(0), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Ingest(ctx, arts); err != nil {
		t.Fatal(err)
	}
	if err := w.Save(dir); err != nil {
		t.Fatal(err)
	}
	local, err := engine.Open(ctx, dir, opts(0))
	if err != nil {
		t.Fatal(err)
	}

	c := newCorpus(t, db.Pool)
	res := write(t, c, newEngine(t, 0), arts...)
	if res.Added != len(arts) || res.Version != 1 {
		t.Fatalf("write: %+v, want %d added at version 1", res, len(arts))
	}
	f := follow(t, c, 0)
	waitFor(t, f, 30*time.Second, "the cold load", func(s pgcorpus.Status) bool { return s.Loaded })
	if st := f.Status(); st.Version != 1 || st.Articles != len(arts) {
		t.Fatalf("status %+v", st)
	}
	replica := f.Engine()

	la, ra := local.Store().Articles(), replica.Store().Articles()
	if len(la) != len(ra) {
		t.Fatalf("%d articles local, %d replica", len(la), len(ra))
	}
	for i := range la {
		l, r := *la[i], *ra[i]
		if !l.Ingested.Equal(r.Ingested) || !l.Published.Equal(r.Published) {
			t.Errorf("article %s: times differ: %v/%v vs %v/%v", l.ID, l.Ingested, l.Published, r.Ingested, r.Published)
		}
		l.Ingested, r.Ingested, l.Published, r.Published = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(l, r) {
			t.Errorf("article %s differs:\nlocal   %+v\nreplica %+v", l.ID, l, r)
		}
		if !reflect.DeepEqual(local.Store().ChunkVectors(l.ID), replica.Store().ChunkVectors(r.ID)) {
			t.Errorf("article %s: vectors differ", l.ID)
		}
	}
	qs := questions(t)
	want, got := answers(t, local, qs), answers(t, replica, qs)
	for i := range qs {
		if want[i] != got[i] {
			t.Errorf("%q:\nlocal   %s\nreplica %s", qs[i], want[i], got[i])
		}
	}
}

var story = retrieval.Article{
	ID: "cluster/story.txt", Title: "Harbour bridge reopens", Source: "Test Wire",
	Published: time.Date(2025, 12, 7, 0, 0, 0, 0, time.UTC),
	Body:      "The Quillback harbour bridge reopened on Sunday after eleven weeks of repairs. Engineers replaced 412 cables.",
}

func answersStory(t *testing.T, e *engine.Engine) bool {
	t.Helper()
	res, err := e.Search(context.Background(), retrieval.Query{Text: "How many cables did engineers replace on the Quillback bridge?"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range res.Quotes {
		if q.Article.ID == story.ID && strings.Contains(q.Text, "412 cables") {
			return true
		}
	}
	return false
}

// An article written by one replica is answered by two others, following
// the database, within 5 s of the commit; its delete reaches them too, and
// rewriting unchanged content changes nothing.
func TestFollowersApplyWritesAndDeletes(t *testing.T) {
	db := pgdbtest.New(t)
	ctx := context.Background()
	c := newCorpus(t, db.Pool)
	writer := newEngine(t, 0)
	write(t, c, writer, seedArticles(t)...)
	b, cc := follow(t, c, 0), follow(t, c, 0)
	for _, f := range []*pgcorpus.Follower{b, cc} {
		waitFor(t, f, 30*time.Second, "the cold load", func(s pgcorpus.Status) bool { return s.Loaded })
		if answersStory(t, f.Engine()) {
			t.Fatal("the story is answered before it is written")
		}
	}

	res := write(t, c, writer, story)
	if res.Added != 1 || res.Version != 2 {
		t.Fatalf("write: %+v", res)
	}
	for _, f := range []*pgcorpus.Follower{b, cc} {
		waitFor(t, f, 5*time.Second, "version 2", func(s pgcorpus.Status) bool { return s.Version >= 2 })
		if !answersStory(t, f.Engine()) {
			t.Fatal("a follower at version 2 does not answer from the new story")
		}
	}

	if again := write(t, c, writer, story); again.Unchanged != 1 || again.Version != 2 {
		t.Fatalf("rewrite of unchanged content: %+v, want 1 unchanged at version 2", again)
	}
	changed := story
	changed.Body = strings.Replace(story.Body, "412", "413", 1)
	changed.Collection = "city" // the collection label travels with the article
	if res := write(t, c, writer, changed); res.Updated != 1 || res.Version != 3 {
		t.Fatalf("update: %+v", res)
	}
	for _, f := range []*pgcorpus.Follower{b, cc} {
		waitFor(t, f, 5*time.Second, "version 3", func(s pgcorpus.Status) bool { return s.Version >= 3 })
		a, ok := f.Engine().Store().Article(story.ID)
		if !ok || a.Collection != "city" {
			t.Fatalf("the follower's article (found %v) lacks the collection city", ok)
		}
	}

	gone, v, err := c.Delete(ctx, []string{story.ID, "no/such.txt"})
	if err != nil || !reflect.DeepEqual(gone, []string{story.ID}) || v != 4 {
		t.Fatalf("delete: %v, %d, %v", gone, v, err)
	}
	for _, f := range []*pgcorpus.Follower{b, cc} {
		waitFor(t, f, 5*time.Second, "the delete", func(s pgcorpus.Status) bool { return s.Version >= 4 })
		if _, ok := f.Engine().Store().Article(story.ID); ok {
			t.Fatal("the deleted story is still served")
		}
		if st := f.Status(); st.Articles != len(seedArticles(t)) {
			t.Fatalf("status after delete: %+v", st)
		}
	}
	if gone, v, err := c.Delete(ctx, []string{story.ID}); err != nil || len(gone) != 0 || v != 4 {
		t.Fatalf("second delete: %v, %d, %v", gone, v, err)
	}
	// A deleted id written again is added back.
	if res := write(t, c, writer, story); res.Added != 1 || res.Version != 5 {
		t.Fatalf("write after delete: %+v", res)
	}
	waitFor(t, b, 5*time.Second, "version 5", func(s pgcorpus.Status) bool { return s.Version >= 5 })
	if !answersStory(t, b.Engine()) {
		t.Fatal("the story written again is not answered")
	}
	// A replica started now loads the same corpus.
	late := follow(t, c, 0)
	waitFor(t, late, 30*time.Second, "the cold load", func(s pgcorpus.Status) bool { return s.Loaded })
	if late.Status().Version != 5 || !answersStory(t, late.Engine()) {
		t.Fatalf("late replica: %+v", late.Status())
	}
}

// Vectors of another embedder are refused by the database, and a replica
// configured with another embedder refuses to serve the corpus.
func TestEmbedderMismatchRefused(t *testing.T) {
	db := pgdbtest.New(t)
	ctx := context.Background()
	c := newCorpus(t, db.Pool)
	write(t, c, newEngine(t, 0), story)

	other := newEngine(t, 64)
	preps, err := other.Prepare(ctx, []retrieval.Article{seedArticles(t)[0]})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Write(ctx, other.Store().Info().Embedder, 64, preps)
	if !errors.Is(err, pgcorpus.ErrEmbedderMismatch) || !errors.Is(err, store.ErrEmbedderMismatch) {
		t.Fatalf("write with another embedder: %v", err)
	}
	if in, _ := c.Stats(ctx); in.Articles != 1 || in.Version != 1 {
		t.Fatalf("after the refused write: %+v", in)
	}

	f := pgcorpus.NewFollower(c, newEngine(t, 64), nil)
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := f.Run(rctx); !errors.Is(err, engine.ErrMismatch) {
		t.Fatalf("follower with another embedder: %v", err)
	}
	if f.Status().Loaded {
		t.Fatal("a follower with another embedder loaded the corpus")
	}
}

// A replica that starts while the database is down loads once it comes
// back; when the database goes away later it keeps serving, reports the
// error and its lag, and catches up by itself (a delete included) when the
// database is back.
func TestFollowerRecoversFromDatabaseOutage(t *testing.T) {
	db := pgdbtest.New(t)
	ctx := context.Background()
	c := newCorpus(t, db.Pool)
	writer := newEngine(t, 0)
	write(t, c, writer, seedArticles(t)...)

	cfg := db.Pool.Config().Copy()
	target := net.JoinHostPort(cfg.ConnConfig.Host, fmt.Sprint(cfg.ConnConfig.Port))
	px := pgdbtest.NewProxy(t, target)
	host, port, _ := net.SplitHostPort(px.Addr())
	cfg.ConnConfig.Host = host
	fmt.Sscan(port, &cfg.ConnConfig.Port)
	cfg.ConnConfig.Fallbacks = nil
	cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	// The pool connects lazily: it is made while the database is down.
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err == nil {
		t.Fatal("the proxy answers while down")
	}
	// New asks for the schema: give it the real pool's corpus, then the
	// follower's through the proxy (same schema).
	px.Set(true)
	pc := newCorpus(t, pool)
	px.Set(false)

	f := follow(t, pc, 0)
	waitFor(t, f, 10*time.Second, "a failed attempt", func(s pgcorpus.Status) bool { return s.Err != nil })
	if f.Status().Loaded {
		t.Fatal("loaded while the database is down")
	}
	px.Set(true)
	waitFor(t, f, 30*time.Second, "the cold load after the database came back", func(s pgcorpus.Status) bool { return s.Loaded && s.Err == nil })

	write(t, c, writer, story)
	waitFor(t, f, 5*time.Second, "version 2", func(s pgcorpus.Status) bool { return s.Version >= 2 })

	px.Set(false)
	if _, _, err := c.Delete(ctx, []string{story.ID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f, 10*time.Second, "the outage noticed", func(s pgcorpus.Status) bool { return s.Err != nil })
	if !answersStory(t, f.Engine()) {
		t.Fatal("the replica stopped serving its index during the outage")
	}
	if st := f.Status(); st.Version != 2 {
		t.Fatalf("during the outage: %+v", st)
	}
	px.Set(true)
	waitFor(t, f, 10*time.Second, "the catch-up", func(s pgcorpus.Status) bool { return s.Version >= 3 && s.Err == nil })
	if answersStory(t, f.Engine()) {
		t.Fatal("the delete made during the outage is not applied")
	}
	if v, secs := f.Status().Lag(time.Now()); v != 0 || secs != 0 {
		t.Fatalf("lag after the catch-up: %d versions, %.1f s", v, secs)
	}
}

// A damaged row (spans outside its body, vectors of the wrong size) is an
// error naming the article, never a panic or a half-loaded engine.
func TestDamagedRowRefused(t *testing.T) {
	db := pgdbtest.New(t)
	ctx := context.Background()
	c := newCorpus(t, db.Pool)
	write(t, c, newEngine(t, 0), story)
	for _, damage := range []string{
		"UPDATE corpus_articles SET sentences = '{0,9999}'",
		"UPDATE corpus_articles SET sentences = '{5,1}'",
		"UPDATE corpus_articles SET chunk_starts = '{0,9999}'",
		"UPDATE corpus_articles SET vectors = '\\x0000'",
	} {
		if _, err := db.Pool.Exec(ctx, damage); err != nil {
			t.Fatal(err)
		}
		_, err := c.Load(ctx, func(engine.PreparedArticle) error { return nil })
		if err == nil || !strings.Contains(err.Error(), story.ID) {
			t.Errorf("%s: load gave %v", damage, err)
		}
		if _, _, _, err := c.Changes(ctx, 0); err == nil {
			t.Errorf("%s: changes gave no error", damage)
		}
		if _, err := db.Pool.Exec(ctx, "DELETE FROM corpus_articles"); err != nil {
			t.Fatal(err)
		}
		write(t, c, newEngine(t, 0), story)
	}
}
