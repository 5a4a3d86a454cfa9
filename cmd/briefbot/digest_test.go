package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/bot/digest"
)

// countingPoster records posts for the CLI tests.
type countingPoster struct {
	mu    sync.Mutex
	posts []string
}

func (c *countingPoster) Post(_ context.Context, channel string, d digest.Digest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.posts = append(c.posts, channel)
	return nil
}

func digestCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func TestDigestJSONOnSeeds(t *testing.T) {
	code, out, errs := digestCLI(t, "digest", "--json", "--all", "--data", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d struct {
		Date     string `json:"date"`
		Window   string `json:"window"`
		Timezone string `json:"timezone"`
		Articles int    `json:"articles"`
		Stories  []struct {
			Headline  string `json:"headline"`
			New       *bool  `json:"new"`
			Sources   int    `json:"sources"`
			Sentences []struct {
				Text    string            `json:"text"`
				Article map[string]string `json:"article"`
			} `json:"sentences"`
		} `json:"stories"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Articles != 5 || d.Window != "all" || len(d.Stories) == 0 {
		t.Fatalf("digest %+v", d)
	}
	cited := map[string]bool{}
	for _, s := range d.Stories {
		if s.New == nil || s.Headline == "" || s.Sources < 1 {
			t.Fatalf("story %+v", s)
		}
		for _, sn := range s.Sentences {
			// As in ask --json: the id always, unknown fields left out
			// rather than printed empty.
			if sn.Article["id"] == "" {
				t.Fatalf("citation without an id: %v", sn.Article)
			}
			for k, v := range sn.Article {
				if v == "" {
					t.Fatalf("citation prints an empty %q: %v", k, sn.Article)
				}
			}
			cited[sn.Article["id"]] = true
		}
	}
	if len(cited) < 4 {
		t.Fatalf("cites %d seeds", len(cited))
	}
}

func TestDigestPostOncePerDay(t *testing.T) {
	p := &countingPoster{}
	real := digestPosters["slack"]
	digestPosters["slack"] = func(*app) (digest.Poster, error) { return p, nil }
	t.Cleanup(func() { digestPosters["slack"] = real })
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		if code, _, errs := digestCLI(t, "digest", "--all", "--post", "slack:C1", "--data", dir); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i+1, code, errs)
		}
	}
	if len(p.posts) != 1 {
		t.Fatalf("%d posts after two runs, want 1", len(p.posts))
	}
	if code, _, errs := digestCLI(t, "digest", "--all", "--post", "slack:C1", "--force", "--data", dir); code != 0 {
		t.Fatalf("forced: exit %d: %s", code, errs)
	}
	if len(p.posts) != 2 || p.posts[1] != "C1" {
		t.Fatalf("posts %v, want two to C1", p.posts)
	}
}

func TestDigestPostWithoutPoster(t *testing.T) {
	code, _, errs := digestCLI(t, "digest", "--all", "--post", "discord:42", "--data", t.TempDir())
	if code == 0 || !strings.Contains(errs, "set DISCORD_BOT_TOKEN") {
		t.Fatalf("exit %d: %q", code, errs)
	}
	code, _, errs = digestCLI(t, "digest", "--all", "--post", "irc:x", "--data", t.TempDir())
	if code != 2 {
		t.Fatalf("bad target: exit %d: %q", code, errs)
	}
}
