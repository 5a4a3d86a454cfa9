package cluster_test

import (
	"testing"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/cluster"
	"github.com/briefbot/briefbot/cluster/pgdb/pgdbtest"
)

// A /brief settings change made through one replica holds on the others
// (within their refresh; 0 here), and the configuration still wins.
func TestChannelSettingsShared(t *testing.T) {
	db := pgdbtest.New(t)
	fixed := map[string]bot.ChannelSettings{"slack:CFIX": {Answer: bot.AnswerMentions}}
	a, err := bot.NewSharedChannels(cluster.NewChannels(db.Pool), fixed, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.NewSharedChannels(cluster.NewChannels(db.Pool), fixed, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Set("slack", "C1", bot.ChannelSettings{Answer: bot.AnswerAll, Collections: []string{"sport"}}); err != nil {
		t.Fatal(err)
	}
	if got := b.Get("slack", "C1"); got.Answer != bot.AnswerAll || len(got.Collections) != 1 || got.Collections[0] != "sport" {
		t.Fatalf("replica B sees %+v", got)
	}
	on := true
	if _, err := b.Set("slack", "C1", bot.ChannelSettings{Private: &on}); err != nil {
		t.Fatal(err)
	}
	if got := a.Get("slack", "C1"); got.Answer != bot.AnswerAll || !got.IsPrivate() {
		t.Fatalf("replica A after B's change: %+v (B's change must keep A's)", got)
	}
	if _, err := a.Set("slack", "CFIX", bot.ChannelSettings{Answer: bot.AnswerAll}); err == nil {
		t.Fatal("a configured setting was changed")
	}
}
