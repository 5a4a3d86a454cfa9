package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/evaluate"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/lexical"
)

type aq struct {
	QID, Date, Question, Answer string
}

func loadAQ(t *testing.T) []aq {
	f, err := os.Open(filepath.Join(evalDir(t), "queries.dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []aq
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var q struct {
			QID, Date, Question string
			Answer              string `json:"answer"`
		}
		json.Unmarshal(sc.Bytes(), &q)
		out = append(out, aq{q.QID, q.Date, q.Question, q.Answer})
	}
	return out
}

// TestTune sweeps search tuning on the RealTime QA dev split: each
// semicolon-separated configuration in BRIEFBOT_TUNE ("name=value ...",
// Params.Set names, k1 and b for BM25) is applied to the defaults and scored.
// It is how the tuning table in BENCHMARKS.md was made, e.g.
//
//	BRIEFBOT_TUNE="min_evidence=0;min_evidence=0 focus_weight=2" go test ./retrieval/engine -run TestTune -v
func TestTune(t *testing.T) {
	if os.Getenv("BRIEFBOT_TUNE") == "" {
		t.Skip("set BRIEFBOT_TUNE to run the tuning sweep")
	}
	dir := evalDir(t)
	ctx := context.Background()
	cw := 0
	fmt.Sscan(os.Getenv("BRIEFBOT_TUNE_CHUNK"), &cw)
	e, _ := NewMemory(ctx, Options{ChunkWords: cw})
	var arts []retrieval.Article
	ingest.ReadFile(context.Background(), filepath.Join(dir, "corpus.jsonl"), func(a retrieval.Article) error { arts = append(arts, a); return nil })
	e.Ingest(ctx, arts)
	qs := loadAQ(t)
	configs := strings.Split(os.Getenv("BRIEFBOT_TUNE"), ";")
	bmK1, bmB := lexical.K1, lexical.B
	defer func() { lexical.K1, lexical.B = bmK1, bmB }()
	for _, cfg := range configs {
		lexical.K1, lexical.B = bmK1, bmB
		p, err := paramsFrom(cfg)
		if err != nil {
			t.Fatal(err)
		}
		e.params = p
		// Answers are cached per index: each configuration starts afresh.
		e.state().answers = newAnswerCache(answerCacheSize)
		var k1, k3, found, anyTop3Doc, anyTop10 int
		type rec struct {
			ev  float64
			hit bool
		}
		var recs []rec
		start := time.Now()
		for _, q := range qs {
			asOf, _ := ingest.ParseDate(q.Date)
			res, _ := e.Search(ctx, retrieval.Query{Text: q.Question, AsOf: asOf})
			var qt []string
			for _, x := range res.Quotes {
				qt = append(qt, x.Text)
			}
			if len(qt) > 0 {
				found++
			}
			if evaluate.AnswerInQuotes(q.Answer, qt, 1) {
				k1++
			}
			if evaluate.AnswerInQuotes(q.Answer, qt, 3) {
				k3++
			}
			recs = append(recs, rec{res.Evidence, evaluate.AnswerInQuotes(q.Answer, qt, 3)})
			na := " " + evaluate.Normalize(q.Answer) + " "
			for i, d := range res.Docs {
				a, _ := e.Store().Article(d.ID)
				if strings.Contains(" "+evaluate.Normalize(a.Body)+" ", na) {
					if i < 3 {
						anyTop3Doc++
					}
					anyTop10++
					break
				}
			}
		}
		n := float64(len(qs))
		thr := ""
		for _, th := range []float64{0, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5} {
			h, f := 0, 0
			for _, r := range recs {
				if r.ev >= th && r.ev > 0 {
					f++
					if r.hit {
						h++
					}
				}
			}
			thr += fmt.Sprintf(" θ%.2f:%.3f/%d", th, float64(h)/float64(len(qs)), f)
		}
		fmt.Println(thr)
		fmt.Printf("%-40s found %d  AiQ@1 %.3f @3 %.3f | answer in a top-3 doc %.3f, any doc %.3f  (%.0fs)\n", cfg, found, float64(k1)/n, float64(k3)/n, float64(anyTop3Doc)/n, float64(anyTop10)/n, time.Since(start).Seconds())
	}
}

// paramsFrom applies "name=value ..." (Params.Set names; k1 and b set the
// BM25 constants) to the defaults.
func paramsFrom(cfg string) (*Params, error) {
	p := DefaultParams()
	for _, kv := range strings.Fields(cfg) {
		k, v, _ := strings.Cut(kv, "=")
		var f float64
		fmt.Sscan(v, &f)
		switch k {
		case "k1":
			lexical.K1 = float32(f)
		case "b":
			lexical.B = float32(f)
		case "x": // a no-op, to score the defaults ("x=0")
		default:
			if err := p.Set(k, v); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}
