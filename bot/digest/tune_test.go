package digest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot/digest/rouge"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
)

type tuneCluster struct {
	docs []retrieval.Document
	ref  string
}

func loadTune(t *testing.T, path string, skip, limit int) []tuneCluster {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<24), 1<<24)
	ctx := context.Background()
	ep := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var raw [][]byte
	n := 0
	for sc.Scan() && len(raw) < limit {
		n++
		if n <= skip {
			continue
		}
		raw = append(raw, append([]byte(nil), sc.Bytes()...))
	}
	out := make([]tuneCluster, len(raw))
	var wg sync.WaitGroup
	sem := make(chan bool, 2)
	for i := range raw {
		wg.Add(1)
		sem <- true
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var c struct {
				Documents []string
				Summary   string
			}
			json.Unmarshal(raw[i], &c)
			e, _ := engine.NewMemory(ctx, engine.Options{Now: func() time.Time { return ep }})
			var arts []retrieval.Article
			for j, d := range c.Documents {
				if strings.TrimSpace(d) != "" {
					arts = append(arts, retrieval.Article{ID: fmt.Sprintf("doc%03d", j), Body: d, Ingested: ep})
				}
			}
			e.Ingest(ctx, arts)
			metas, _ := e.Articles(ctx)
			for _, m := range metas {
				d, _ := e.Document(ctx, m.ID)
				out[i].docs = append(out[i].docs, d)
			}
			out[i].ref = c.Summary
		}()
	}
	wg.Wait()
	return out
}

func scoreTune(cs []tuneCluster, p summaryParams) (r1, r2, rl float64) {
	res := make([]rouge.Scores, len(cs))
	var wg sync.WaitGroup
	ch := make(chan int)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				st := buildStoriesWith(cs[i].docs, Options{MaxStories: -1, MaxSentences: 1 << 20, Words: 230}, p)
				var parts []string
				for _, s := range st {
					for _, sn := range s.Sentences {
						parts = append(parts, sn.Text)
					}
				}
				res[i] = rouge.Compare(rouge.CutWords(strings.Join(parts, " "), 230), cs[i].ref)
			}
		}()
	}
	for i := range cs {
		ch <- i
	}
	close(ch)
	wg.Wait()
	var m rouge.Mean
	for _, r := range res {
		m.Add(r)
	}
	return m.F1()
}

// TestTune sweeps summariser settings on Multi-News: BRIEFBOT_TUNE=val.jsonl,
// BRIEFBOT_TUNE_SKIP, BRIEFBOT_TUNE_N; BRIEFBOT_TUNE_SET="field=v1,v2;field=v3".
func TestTune(t *testing.T) {
	path := os.Getenv("BRIEFBOT_TUNE")
	if path == "" {
		t.Skip("set BRIEFBOT_TUNE to a Multi-News jsonl")
	}
	skip, _ := strconv.Atoi(os.Getenv("BRIEFBOT_TUNE_SKIP"))
	n, _ := strconv.Atoi(os.Getenv("BRIEFBOT_TUNE_N"))
	if n == 0 {
		n = 1000
	}
	cs := loadTune(t, path, skip, n)
	base := defaultSummaryParams
	r1, r2, rl := scoreTune(cs, base)
	fmt.Printf("default                         %.2f %.2f %.2f\n", r1, r2, rl)
	for _, spec := range strings.Split(os.Getenv("BRIEFBOT_TUNE_SET"), ";") {
		if spec == "" {
			continue
		}
		if strings.Contains(spec, "&") {
			p := base
			for _, kv := range strings.Split(spec, "&") {
				name, v, _ := strings.Cut(kv, "=")
				if !setParam(&p, name, v) {
					t.Fatalf("unknown param %s", name)
				}
			}
			r1, r2, rl := scoreTune(cs, p)
			fmt.Printf("%-30s  %.2f %.2f %.2f\n", spec, r1, r2, rl)
			continue
		}
		name, vals, _ := strings.Cut(spec, "=")
		for _, v := range strings.Split(vals, ",") {
			p := base
			if !setParam(&p, name, v) {
				t.Fatalf("unknown param %s", name)
			}
			r1, r2, rl := scoreTune(cs, p)
			fmt.Printf("%-30s  %.2f %.2f %.2f\n", name+"="+v, r1, r2, rl)
		}
	}
}

func setParam(p *summaryParams, name, v string) bool {
	f, _ := strconv.ParseFloat(v, 64)
	switch name {
	case "bigram":
		p.bigram = f
	case "unigram":
		p.unigram = f
	case "minDF":
		p.minDF = int(f)
	case "lenExp":
		p.lenExp = f
	case "minWords":
		p.minWords = int(f)
	case "maxWords":
		p.maxWords = int(f)
	case "dupSim":
		p.dupSim = f
	case "unfinish":
		p.unfinish = f
	case "leadsFirst":
		p.leadsFirst = v == "true"
	default:
		return false
	}
	return true
}

func TestTuneShow(t *testing.T) {
	path := os.Getenv("BRIEFBOT_TUNE")
	if path == "" {
		t.Skip("set BRIEFBOT_TUNE to a Multi-News jsonl")
	}
	skip, _ := strconv.Atoi(os.Getenv("BRIEFBOT_TUNE_SKIP"))
	cs := loadTune(t, path, skip, 8)
	for i, c := range cs {
		st := buildStoriesWith(c.docs, Options{MaxStories: -1, MaxSentences: 1 << 20, Words: 230}, defaultSummaryParams)
		fmt.Printf("=== %d\nREF: %s\n", i, c.ref)
		var parts []string
		for _, s := range st {
			for _, sn := range s.Sentences {
				fmt.Printf("  [%s] %s\n", sn.Article.ID, sn.Text)
				parts = append(parts, sn.Text)
			}
		}
		r := rouge.Compare(rouge.CutWords(strings.Join(parts, " "), 230), c.ref)
		fmt.Printf("R1 %.1f R2 %.1f words %d\n", 100*r.R1.F, 100*r.R2.F, len(strings.Fields(strings.Join(parts, " "))))
	}
}
