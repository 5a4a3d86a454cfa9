package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/bot/digest/digesttest"
	"github.com/briefbot/briefbot/internal/golden"
	"github.com/briefbot/briefbot/retrieval"
)

// sampleDigest has a new story with linked citations, a follow-up whose
// article has no URL, and text that tries to ping people.
func sampleDigest() digest.Digest {
	return digesttest.Sample(digesttest.Hostile{
		Headline: "Zelensky: 'very productive' call with Witkoff & Kushner",
		Sentence: "@channel the talks in Miami were <b>constructive</b>, <!here> said <@U123>.",
		Title:    "Overnight attack",
	})
}

func TestRenderDigestGolden(t *testing.T) {
	golden.JSON(t, "digest", RenderDigest(sampleDigest()))
	golden.JSON(t, "digest_empty", RenderDigest(digest.Digest{Date: "2025-12-06", Window: digest.Window{Last: 24 * time.Hour}, Timezone: "UTC", Stories: []digest.Story{}}))
}

func TestRenderDigestNeutralisesMentions(t *testing.T) {
	b, _ := json.Marshal(RenderDigest(sampleDigest()))
	s := string(b)
	for _, bad := range []string{"<!here>", "<@U123>", `"@channel`, " @channel"} {
		if strings.Contains(s, bad) {
			t.Errorf("rendered digest contains %q", bad)
		}
	}
}

// TestRenderDigestLimits fills a digest far past Slack's limits.
func TestRenderDigestLimits(t *testing.T) {
	long := strings.Repeat("The convoy & its <escort> moved on after the ceasefire talks stalled again. ", 60)
	d := digest.Digest{Date: "2025-12-06", Window: digest.Window{All: true}, Timezone: "UTC", Articles: 40}
	for i := range 40 {
		s := digest.Story{Headline: fmt.Sprintf("Story %d ", i) + long[:400], New: true, Sources: 2}
		for j := range 3 {
			s.Sentences = append(s.Sentences, digest.Sentence{Text: long, Article: retrieval.ArticleMeta{ID: fmt.Sprintf("a%d-%d", i, j), Title: long[:500]}})
		}
		d.Stories = append(d.Stories, s)
	}
	m := RenderDigest(d)
	if len(m.Blocks) > MaxBlocks {
		t.Fatalf("%d blocks", len(m.Blocks))
	}
	for i, b := range m.Blocks {
		var text string
		switch b := b.(type) {
		case *slack.SectionBlock:
			text = b.Text.Text
		case *slack.ContextBlock:
			text = b.ContextElements.Elements[0].(*slack.TextBlockObject).Text
		}
		if n := utf8.RuneCountInString(text); n > MaxSectionText {
			t.Errorf("block %d has %d characters", i, n)
		}
	}
	last := m.Blocks[len(m.Blocks)-1].(*slack.ContextBlock).ContextElements.Elements[0].(*slack.TextBlockObject).Text
	if !strings.HasPrefix(last, "… and ") || !strings.HasSuffix(last, "more stories") {
		t.Errorf("last block %q", last)
	}
	if n := strings.Count(m.Text, "\n"); n == 0 || utf8.RuneCountInString(m.Text) > maxFallbackText {
		t.Errorf("fallback text of %d characters", utf8.RuneCountInString(m.Text))
	}
}

func TestDigestSubcommands(t *testing.T) {
	f := &digesttest.Commands{Digest: sampleDigest(), Fixed: "CFIXED"}
	fs := newFakeSlack(t)
	fs.notMember = map[string]bool{"COUT": true, "GPRIVATE": true}
	a, err := newAdapter(Options{BotToken: "xoxb-test", Digests: f, APIURL: fs.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	cmd := slack.SlashCommand{Command: "/brief", ChannelID: "C1"}
	cases := []struct {
		text, kind, want string
	}{
		{"subscribe 07:30 Europe/Kyiv", inChannel, "every day at 07:30 (Europe/Kyiv)"},
		{"subscribe", inChannel, "every day at 08:00 (UTC)"},
		{"subscribe America/New_York 9:05", inChannel, "at 9:05 (America/New_York)"},
		{"subscribe 25:00", ephemeral, "is not a time like 08:00"},
		{"subscribe 08:00 Mars/Olympus", ephemeral, `Unknown time zone "Mars/Olympus"`},
		{"subscribe 08:00 UTC extra", ephemeral, "Usage: /brief subscribe"},
		{"unsubscribe", inChannel, "no longer get the daily digest"},
		{"unsubscribe now", ephemeral, "takes no arguments"},
		{"help", ephemeral, "/brief subscribe [HH:MM]"},
	}
	for _, c := range cases {
		cmd.Text = c.text
		resp := a.command(context.Background(), cmd)
		if resp.ResponseType != c.kind || !strings.Contains(resp.Text, c.want) {
			t.Errorf("/brief %s: %s %q, want %s containing %q", c.text, resp.ResponseType, resp.Text, c.kind, c.want)
		}
	}
	if len(f.Subscriptions()) != 3 || f.Subscriptions()[0].Timezone != "Europe/Kyiv" || f.Subscriptions()[0].At != "07:30" || f.Subscriptions()[0].Channel != "C1" || f.Subscriptions()[0].Platform != "slack" {
		t.Errorf("subscriptions %+v", f.Subscriptions())
	}
	// A channel the bot is not in (a private one it was not invited to is
	// not even visible to it) is refused at once, not at 08:00.
	for _, ch := range []string{"COUT", "GPRIVATE"} {
		cmd.ChannelID, cmd.Text = ch, "subscribe"
		if resp := a.command(context.Background(), cmd); resp.ResponseType != ephemeral || resp.Text != notMemberText {
			t.Errorf("subscribe in %s: %s %q", ch, resp.ResponseType, resp.Text)
		}
	}
	if len(f.Subscriptions()) != 3 {
		t.Errorf("a refused subscription was stored: %+v", f.Subscriptions())
	}
	cmd.ChannelID, cmd.Text = "CFIXED", "unsubscribe"
	if resp := a.command(context.Background(), cmd); !strings.Contains(resp.Text, "Set in the configuration.") {
		t.Errorf("fixed: %q", resp.Text)
	}
	// Without digests the subcommands say so, and help does not list them.
	b, err := newAdapter(Options{BotToken: "xoxb-test", APIURL: fs.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	if resp := b.command(context.Background(), slack.SlashCommand{Text: "subscribe", ChannelID: "C1"}); resp.Text != digestsOffText {
		t.Errorf("no digests: %q", resp.Text)
	}
	if strings.Contains(b.help(), "subscribe") {
		t.Error("help lists digest subcommands without digests")
	}
}
