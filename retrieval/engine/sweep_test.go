package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/evaluate"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

// TestSweepRefusal prints, for refusal thresholds (min_evidence), the
// share of each question set handled right: answerable ones answered with
// the answer in quotes 1-3, unanswerable ones refused, and dev
// answer-in-quote@3. It is how min_evidence and min_confidence in
// model.json were chosen:
//
//	BRIEFBOT_SWEEP=min_evidence go test ./retrieval/engine -run TestSweepRefusal -v
//	BRIEFBOT_SWEEP=min_confidence go test ./retrieval/engine -run TestSweepRefusal -v
func TestSweepRefusal(t *testing.T) {
	if os.Getenv("BRIEFBOT_SWEEP") == "" {
		t.Skip("set BRIEFBOT_SWEEP=1 to run the refusal sweep")
	}
	knob := os.Getenv("BRIEFBOT_SWEEP")
	ths := []float64{0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6}
	value := func(r retrieval.Result) float64 { return r.Evidence }
	if knob == "min_confidence" {
		ths = []float64{0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3}
		value = func(r retrieval.Result) float64 { return r.Confidence }
	}
	// BRIEFBOT_SWEEP_THRESHOLDS (comma-separated) replaces the thresholds.
	if v := os.Getenv("BRIEFBOT_SWEEP_THRESHOLDS"); v != "" {
		ths = nil
		for _, f := range strings.Split(v, ",") {
			th, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatal(err)
			}
			ths = append(ths, th)
		}
	}
	// BRIEFBOT_SWEEP_MODELS (comma-separated parameter files, as eval fit
	// writes them) sweeps those instead of model.json, one after another.
	var models []*Params
	for _, f := range strings.Split(os.Getenv("BRIEFBOT_SWEEP_MODELS"), ",") {
		p := DefaultParams()
		if f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p = &Params{}
			if err := json.Unmarshal(b, p); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			p.compile()
			fmt.Println("model", f)
		}
		if knob == "min_confidence" {
			p.MinConfidence = 0
		} else {
			p.MinEvidence = 0
		}
		models = append(models, p)
	}
	var p *Params
	run := func(name string, e *Engine, qs []setQuestion, answerable bool) {
		e.params = p
		e.state().answers = newAnswerCache(answerCacheSize)
		cnt := make([]int, len(ths))
		answered := make([]int, len(ths))
		for _, q := range qs {
			asOf := e.now()
			if q.Date != "" {
				asOf, _ = ingest.ParseDate(q.Date)
			}
			res, _ := e.Search(context.Background(), retrieval.Query{Text: q.Question, AsOf: asOf})
			for i, th := range ths {
				found := res.Found && value(res) >= th
				if found {
					answered[i]++
				}
				if answerable {
					hit := false
					for _, x := range res.Quotes {
						if strings.Contains(x.Text, q.Answer) || (q.Kind == "" && q.Articles == nil && evaluate.AnswerInQuotes(q.Answer, []string{x.Text}, 1)) {
							hit = true
						}
					}
					if found && hit {
						cnt[i]++
					}
				} else if !found {
					cnt[i]++
				}
			}
		}
		line := fmt.Sprintf("%-22s n=%4d", name, len(qs))
		for i, th := range ths {
			line += fmt.Sprintf("  %.3f:%.3f", th, float64(cnt[i])/float64(len(qs)))
		}
		fmt.Println(line)
		if answerable {
			line = fmt.Sprintf("%-22s       ", "  answered")
			for i, th := range ths {
				line += fmt.Sprintf("  %.3f:%.3f", th, float64(answered[i])/float64(len(qs)))
			}
			fmt.Println(line)
		}
	}
	se := seedsEngine(t)
	ne := newsEngine(t)
	var dev []setQuestion
	for _, q := range loadAQ(t) {
		dev = append(dev, setQuestion{Question: q.Question, Answer: q.Answer, Date: strings.ReplaceAll(q.Date, "/", "-")})
	}
	for mi, m := range models {
		p = m
		fmt.Println("model", mi)
		run("seeds answerable", se, readSet(t, "seeds_answerable.jsonl"), true)
		run("seeds unanswerable", se, readSet(t, "seeds_unanswerable.jsonl"), false)
		run("news answerable", ne, readSet(t, "news_answerable.jsonl"), true)
		un := readSet(t, "news_unanswerable.jsonl")
		run("news unanswerable", ne, un, false)
		kinds := map[string][]setQuestion{}
		for _, q := range un {
			kinds[q.Kind] = append(kinds[q.Kind], q)
		}
		for _, k := range slices.Sorted(maps.Keys(kinds)) {
			run("  "+k, ne, kinds[k], false)
		}
		run("dev AiQ@3", ne, dev, true)
	}
}
