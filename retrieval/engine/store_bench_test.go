package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval/dates"
	"github.com/briefbot/briefbot/retrieval/evaluate"

	"github.com/briefbot/briefbot/retrieval"
)

// storeBench opens the data directory in BRIEFBOT_BENCH_STORE (a store
// `briefbot ingest` wrote: 1M chunks for issue 16) and reads the dev
// questions; it skips without one.
func storeBench(b *testing.B) (*Engine, []benchQ) {
	b.Helper()
	dir := os.Getenv("BRIEFBOT_BENCH_STORE")
	if dir == "" {
		b.Skip("set BRIEFBOT_BENCH_STORE to a data directory")
	}
	setFromEnv(b, "BRIEFBOT_BENCH_PRESCAN_MIN", &prescanMin)
	setFromEnv(b, "BRIEFBOT_BENCH_PRESCAN_DIV", &prescanDiv)
	setFromEnv(b, "BRIEFBOT_BENCH_PRESCAN_LEXK", &prescanLexK)
	e, err := Open(context.Background(), dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	qs := benchQuestions(b)
	return e, qs
}

// setFromEnv sets *v to the integer in the environment variable name, if
// set, for the rest of the benchmark.
func setFromEnv(b *testing.B, name string, v *int) {
	s := os.Getenv(name)
	if s == "" {
		return
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	old := *v
	b.Cleanup(func() { *v = old })
	*v = n
}

// BenchmarkStoreSearch is the whole answer pipeline over a stored (mapped)
// index, without the answer cache: what a cold question costs at scale.
func BenchmarkStoreSearch(b *testing.B) {
	e, qs := storeBench(b)
	ctx := context.Background()
	ix := e.state()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := e.search(ctx, ix, retrieval.Query{Text: qs[i%len(qs)].text, MaxQuotes: 3, MaxDocs: 20}, e.now()); err != nil {
			b.Fatal(err)
		}
	}
}

// benchQ is a dev question with its answer and date.
type benchQ struct {
	text, answer string
	asOf         time.Time
}

// benchQuestions reads the questions of BRIEFBOT_BENCH_QUERIES (default: the
// dev split on the team machines).
func benchQuestions(b *testing.B) []benchQ {
	b.Helper()
	f, err := os.Open(benchPath("BRIEFBOT_BENCH_QUERIES", "/work/shared/eval/realtimeqa/queries.dev.jsonl"))
	if err != nil {
		b.Skipf("bench questions: %v", err)
	}
	defer f.Close()
	var qs []benchQ
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var q struct{ Question, Answer, Date string }
		if json.Unmarshal(sc.Bytes(), &q) != nil || q.Question == "" {
			continue
		}
		day, _ := dates.Parse(q.Date)
		qs = append(qs, benchQ{text: q.Question, answer: q.Answer, asOf: day})
	}
	if len(qs) == 0 {
		b.Skip("no bench questions")
	}
	return qs
}

// firstQuotes is the texts of res's first n quotes, or "" without an answer.
func firstQuotes(res retrieval.Result, n int) string {
	if !res.Found {
		return ""
	}
	return strings.Join(quoteList(res)[:min(n, len(res.Quotes))], "\x00")
}

// BenchmarkStoreAnswers compares, over the store and the dev questions,
// the answers with the sign pre-scan and with the exact scan: the share of
// questions whose first quote (text, or no answer) is the same (first),
// whose quotes are all the same (quotes), and whose best article is the
// same (doc1), asked as serve is asked (no date); and answer-in-quote @1
// and @3 of both (aiq1, aiq3 with the pre-scan; xaiq1, xaiq3 exact), asked
// as of each question's date as `briefbot eval retrieval` asks.
func BenchmarkStoreAnswers(b *testing.B) {
	e, qs := storeBench(b)
	ctx := context.Background()
	ix := e.state()
	if ix.qvecs == nil || ix.qvecs.signs == nil {
		b.Skip("the store is below prescanMin (set BRIEFBOT_BENCH_PRESCAN_MIN)")
	}
	signs := ix.qvecs.signs
	ask := func(q retrieval.Query, pre bool) retrieval.Result {
		ix.qvecs.signs = nil
		if pre {
			ix.qvecs.signs = signs
		}
		defer func() { ix.qvecs.signs = signs }()
		res, err := e.search(ctx, ix, q, e.now())
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	var first, quotes, doc1 int
	var aiq, xaiq [2]int
	for b.Loop() {
		first, quotes, doc1, aiq, xaiq = 0, 0, 0, [2]int{}, [2]int{}
		for _, q := range qs {
			query := retrieval.Query{Text: q.text, MaxQuotes: 3, MaxDocs: 20}
			a, x := ask(query, true), ask(query, false)
			if firstQuotes(a, 1) == firstQuotes(x, 1) {
				first++
			}
			if firstQuotes(a, 3) == firstQuotes(x, 3) {
				quotes++
			}
			if len(a.Docs) > 0 && len(x.Docs) > 0 && a.Docs[0].ID == x.Docs[0].ID || len(a.Docs)+len(x.Docs) == 0 {
				doc1++
			}
			query.AsOf = q.asOf
			a, x = ask(query, true), ask(query, false)
			for i, k := range []int{1, 3} {
				if a.Found && evaluate.AnswerInQuotes(q.answer, quoteList(a), k) {
					aiq[i]++
				}
				if x.Found && evaluate.AnswerInQuotes(q.answer, quoteList(x), k) {
					xaiq[i]++
				}
			}
		}
	}
	n := float64(len(qs))
	b.ReportMetric(float64(first)/n, "first")
	b.ReportMetric(float64(quotes)/n, "quotes")
	b.ReportMetric(float64(doc1)/n, "doc1")
	b.ReportMetric(float64(aiq[0])/n, "aiq1")
	b.ReportMetric(float64(aiq[1])/n, "aiq3")
	b.ReportMetric(float64(xaiq[0])/n, "xaiq1")
	b.ReportMetric(float64(xaiq[1])/n, "xaiq3")
}

// quoteList is the texts of res's quotes.
func quoteList(res retrieval.Result) []string {
	var s []string
	for _, q := range res.Quotes {
		s = append(s, q.Text)
	}
	return s
}

// BenchmarkStoreDump writes the answer to every question (asked as serve
// asks, no date: articles, quotes and refusal) as a JSON line to the file
// BRIEFBOT_BENCH_DUMP, so that two builds' answers over the same store can
// be compared byte for byte.
func BenchmarkStoreDump(b *testing.B) {
	path := os.Getenv("BRIEFBOT_BENCH_DUMP")
	if path == "" {
		b.Skip("set BRIEFBOT_BENCH_DUMP to an output file")
	}
	e, qs := storeBench(b)
	ctx := context.Background()
	ix := e.state()
	ref := e.now().Truncate(24 * time.Hour)
	for b.Loop() {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		enc := json.NewEncoder(f)
		for _, q := range qs {
			res, err := e.search(ctx, ix, retrieval.Query{Text: q.text, MaxQuotes: 3, MaxDocs: 20}, ref)
			if err != nil {
				b.Fatal(err)
			}
			res.Searched = retrieval.Coverage{}
			if err := enc.Encode(res); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
