package text

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The differential tests run on the RealTime QA news corpora, laid out
// next to the repository on the team machines; BRIEFBOT_NEWS_CORPORA names
// other JSONL files (separated by commas).
func newsCorpora() []string {
	if env := os.Getenv("BRIEFBOT_NEWS_CORPORA"); env != "" {
		return strings.Split(env, ",")
	}
	return []string{
		"/work/shared/train/realtimeqa-2023/corpus.jsonl",
		"/work/shared/eval/realtimeqa/corpus.jsonl",
	}
}

// newsStride is how many articles a differential test steps over: every
// tenth, every hundredth under -short or the race detector (which slows
// the punkt library tenfold), every one with BRIEFBOT_NEWS_ALL=1.
func newsStride() int {
	switch {
	case os.Getenv("BRIEFBOT_NEWS_ALL") == "1":
		return 1
	case testing.Short() || raceEnabled:
		return 100
	}
	return 10
}

// eachNewsArticle calls fn with the title and text of every stride-th
// article of the news corpora (at most limit, if positive), skipping the
// test when a corpus is missing; it returns how many it passed.
func eachNewsArticle(t testing.TB, stride, limit int, fn func(title, text string)) int {
	t.Helper()
	n, line := 0, 0
	for _, path := range newsCorpora() {
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			t.Skipf("news corpus %s not found", path)
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() && (limit <= 0 || n < limit) {
			line++
			if line%stride != 0 {
				continue
			}
			var rec struct{ Title, Text string }
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			fn(rec.Title, rec.Text)
			n++
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return n
}
