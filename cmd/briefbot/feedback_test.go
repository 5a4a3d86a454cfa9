package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot"
)

func TestFeedbackReport(t *testing.T) {
	data := t.TempDir()
	log, err := bot.OpenVoteLog(data)
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2025, 12, d, 9, 0, 0, 0, time.UTC) }
	for _, v := range []bot.Vote{
		{Platform: "slack", Question: "old question", ArticleIDs: []string{"a"}, User: "U1", Vote: bot.VoteDown, Time: day(1)},
		{Platform: "slack", Question: "How many drones?", ArticleIDs: []string{"a", "b"}, User: "U1", Vote: bot.VoteDown, Time: day(5)},
		{Platform: "slack", Question: "How many drones?", ArticleIDs: []string{"a", "b"}, User: "U1", Vote: bot.VoteDown, Reason: bot.ReasonWrongArticle, Time: day(5)},
		{Platform: "discord", Question: "How many drones?", ArticleIDs: []string{"a"}, User: "U2", Vote: bot.VoteUp, Time: day(6)},
		{Platform: "discord", Question: "Who met Witkoff?", ArticleIDs: []string{"c"}, User: "U2", Vote: bot.VoteUp, Time: day(6)},
	} {
		if err := log.Record(context.Background(), v); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := runCLI(t, nil, "feedback", "--data", data, "--since", "2025-12-03", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep bot.FeedbackReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Votes != 3 || rep.Up != 2 || rep.Down != 1 || rep.Reasons[bot.ReasonWrongArticle] != 1 {
		t.Fatalf("totals %+v (the vote before --since must not count, nor the reason as a vote)", rep)
	}
	if q := rep.Questions[0]; q.Question != "How many drones?" || q.Up != 1 || q.Down != 1 || q.Reasons[bot.ReasonWrongArticle] != 1 {
		t.Fatalf("first question %+v", q)
	}
	// Most 👎 first, then fewest 👍: b (0 👍) before a (1 👍).
	if len(rep.Articles) != 3 || rep.Articles[0].ID != "b" || rep.Articles[0].Down != 1 || rep.Articles[1].ID != "a" || rep.Articles[1].Up != 1 {
		t.Fatalf("articles %+v", rep.Articles)
	}
	code, out, _ = runCLI(t, nil, "feedback", "--data", data)
	if code != 0 || !strings.Contains(out, "4 votes: 2 👍, 2 👎 (reasons: wrong article 1)") || !strings.Contains(out, "old question") {
		t.Fatalf("text report (%d):\n%s", code, out)
	}
	if code, _, errs = runCLI(t, nil, "feedback", "--data", data, "--since", "yesterday-ish"); code != 2 || !strings.Contains(errs, "not a date") {
		t.Fatalf("bad --since: %d %s", code, errs)
	}
	if code, out, _ = runCLI(t, nil, "feedback", "--data", t.TempDir()); code != 0 || !strings.Contains(out, "no votes recorded") {
		t.Fatalf("empty: %d %s", code, out)
	}
}
