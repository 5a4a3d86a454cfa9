package discord

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/internal/golden"
	"github.com/briefbot/briefbot/retrieval"
)

var droneQuote = retrieval.Quote{
	Text: "Russia launched 653 drones and 51 missiles at Ukraine on Friday night, the Ukrainian air force said.",
	Article: retrieval.ArticleMeta{
		ID:        "002_8c35132417f41974",
		Title:     "Zelensky reports productive call with Witkoff and Kushner",
		Source:    "Example Wire",
		URL:       "https://example.com/news/zelensky-call",
		Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC),
	},
}

func TestRenderGolden(t *testing.T) {
	long := strings.Repeat("The talks in Miami continued into a third day as officials weighed security guarantees. ", 120)
	cases := []struct {
		name string
		ans  bot.Answer
	}{
		{"found", bot.Answer{
			Question: "How many drones and missiles did Russia fire on Friday night?",
			Found:    true,
			Quotes: []retrieval.Quote{droneQuote, {
				Text:    "Ukrainian representatives also participated in the call from Miami.",
				Article: retrieval.ArticleMeta{ID: "003_37c6020937afcbb6"},
			}},
			Searched: retrieval.Coverage{Articles: 5, From: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
		}},
		{"corroboration", bot.Answer{
			Question: "Who joined the call with Zelensky?",
			Found:    true,
			Quotes: []retrieval.Quote{{
				Text:    "Steve Witkoff was joined on the call by Marco Rubio and Jared Kushner.",
				Article: retrieval.ArticleMeta{ID: "003_37c6020937afcbb6", Title: "Witkoff call with European leaders", Published: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC)},
				AlsoIn: []retrieval.ArticleMeta{
					{ID: "000_eb42b95f6b4ebabf", Title: "Trump advisers hold talks with Zelensky"},
					{ID: "004_77a3aa7004129db4"},
				},
			}},
			Searched: retrieval.Coverage{Articles: 5, From: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
		}},
		{"not_found", bot.Answer{
			Question: "Who won the 1998 World Cup?",
			Quotes:   []retrieval.Quote{},
			Searched: retrieval.Coverage{Articles: 5, From: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
		}},
		{"trimmed", bot.Answer{
			Question: strings.Repeat("why ", 600),
			Found:    true,
			Quotes: []retrieval.Quote{
				{Text: long, Article: retrieval.ArticleMeta{ID: "a1", Title: strings.Repeat("Headline ", 40), Source: strings.Repeat("S", 3000)}},
				{Text: long, Article: retrieval.ArticleMeta{ID: "a2"}},
				{Text: long, Article: retrieval.ArticleMeta{ID: "a3", URL: "not a url"}},
			},
		}},
		{"truncated", bot.Answer{
			Question: "Where will the ferries dock?",
			Found:    true,
			Quotes: []retrieval.Quote{{
				Text:      "The harbour authority closed the northern pier on Tuesday. Engineers said ferries would dock at the southern terminal, which will add",
				Article:   retrieval.ArticleMeta{ID: "pier.txt", Title: "Pier closed"},
				Truncated: true,
			}},
		}},
		{"mentions", bot.Answer{
			Question: "What did @everyone say to <@123456789012345678>?",
			Found:    true,
			Quotes: []retrieval.Quote{{
				Text:    "Hey @everyone and @here, ask <@!42> or the <@&99> role; @POTUS posted.",
				Article: retrieval.ArticleMeta{ID: "x", Title: "<@&77> alert", Source: "@here news"},
				AlsoIn:  []retrieval.ArticleMeta{{ID: "y", Title: "@everyone digest"}},
			}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := RenderAnswer(c.ans)
			assertWithinLimits(t, m)
			assertNoMentions(t, m)
			golden.JSON(t, "answer_"+c.name, m)
		})
	}
}

func TestRenderNotFoundIsPlain(t *testing.T) {
	ans := bot.Answer{Question: "q", Searched: retrieval.Coverage{Articles: 5, From: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)}}
	m := RenderAnswer(ans)
	if m.Content != ans.NotFoundText() || len(m.Embeds) != 0 || len(m.Components) != 0 {
		t.Fatalf("not-found message = %+v, want only %q", m, ans.NotFoundText())
	}
}

func TestRenderLibraryGolden(t *testing.T) {
	m := RenderLibrary(bot.Library{
		Articles: 5, Chunks: 40, From: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC),
		Latest: []retrieval.ArticleMeta{
			{ID: "004_77a3aa7004129db4", Title: "Ukraine, US to hold fresh talks [Miami]", Source: "ST", URL: "https://example.com/st", Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
			{ID: "002_8c35132417f41974", Published: time.Date(2025, 12, 5, 0, 0, 0, 0, time.UTC)},
		},
	})
	assertWithinLimits(t, m)
	golden.JSON(t, "sources", m)
}

func assertWithinLimits(t *testing.T, m Message) {
	t.Helper()
	if n := Len(m.Content); n > MaxContent {
		t.Errorf("content has %d characters, limit %d", n, MaxContent)
	}
	if len(m.Embeds) > MaxEmbeds {
		t.Errorf("%d embeds, limit %d", len(m.Embeds), MaxEmbeds)
	}
	for i, e := range m.Embeds {
		if Len(e.Title) > MaxEmbedTitle || Len(e.Description) > MaxEmbedDescription ||
			footerLen(e) > MaxEmbedFooter || authorLen(e) > MaxEmbedAuthor || len(e.Fields) > MaxEmbedFields {
			t.Errorf("embed %d over a field limit: title %d, description %d, footer %d, author %d, fields %d",
				i, Len(e.Title), Len(e.Description), footerLen(e), authorLen(e), len(e.Fields))
		}
		for _, f := range e.Fields {
			if Len(f.Name) > MaxEmbedFieldName || Len(f.Value) > MaxEmbedFieldValue {
				t.Errorf("embed %d has a field over its limit", i)
			}
		}
	}
	if n := embedsLen(m.Embeds); n > MaxEmbedsTotal {
		t.Errorf("embeds total %d characters, limit %d", n, MaxEmbedsTotal)
	}
}

// mentionSyntax is what Discord reads as a mention or a mass ping.
var mentionSyntax = regexp.MustCompile(`@everyone|@here|<@[!&]?[0-9]`)

func assertNoMentions(t *testing.T, m Message) {
	t.Helper()
	b, _ := json.Marshal(m)
	var texts []string
	texts = append(texts, m.Content)
	for _, e := range m.Embeds {
		texts = append(texts, e.Title, e.Description)
		if e.Footer != nil {
			texts = append(texts, e.Footer.Text)
		}
	}
	for _, s := range texts {
		// A mention is <@ID>, <@!ID> or <@&ID>: "<@!" before anything but
		// a digit (a source "<@!" in a footer) pings no one.
		if bad := mentionSyntax.FindString(s); bad != "" {
			t.Errorf("rendered text %q still contains %q (message %s)", s, bad, b)
		}
	}
}

func TestTrimEmbedsRandomStaysWithinLimits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	text := func() string {
		// Mix one- and two-unit (UTF-16) characters so counting matters.
		n := r.IntN(5000)
		var b strings.Builder
		for i := 0; i < n; i++ {
			switch r.IntN(4) {
			case 0:
				b.WriteString("é")
			case 1:
				b.WriteString("🚀")
			case 2:
				b.WriteString(" ")
			default:
				b.WriteString("a")
			}
		}
		return b.String()
	}
	for i := 0; i < 60; i++ {
		var embeds []*discordgo.MessageEmbed
		for j, n := 0, r.IntN(14); j < n; j++ {
			e := &discordgo.MessageEmbed{Title: text(), Description: text(), Footer: &discordgo.MessageEmbedFooter{Text: text()}}
			if r.IntN(3) == 0 {
				e.Author = &discordgo.MessageEmbedAuthor{Name: text()}
				for k := 0; k < r.IntN(30); k++ {
					e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: text(), Value: text()})
				}
			}
			embeds = append(embeds, e)
		}
		before, _ := json.Marshal(embeds)
		m := TrimMessage(Message{Content: text(), Embeds: embeds})
		assertWithinLimits(t, m)
		if len(embeds) > 0 && len(m.Embeds) == 0 {
			t.Fatalf("case %d: every embed was dropped", i)
		}
		if after, _ := json.Marshal(embeds); !bytes.Equal(before, after) {
			t.Fatalf("case %d: TrimMessage modified its input", i)
		}
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"the quick brown fox jumps", 12, "the quick…"},
		{"abcdefghijklmnop", 5, "abcd…"},
		{"🚀🚀🚀🚀", 5, "🚀🚀…"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
	}
	for _, c := range cases {
		if got := Truncate(c.in, c.max); got != c.want || Len(got) > c.max {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

func TestVoteCustomID(t *testing.T) {
	ids := []string{"002_8c35132417f41974", "003_37c6020937afcbb6", "004_77a3aa7004129db4", "005_1111111111111111"}
	id := voteCustomID(bot.VoteDown, "1312345678901234567", ids)
	if len(id) > maxCustomID {
		t.Fatalf("custom_id has %d characters, limit %d", len(id), maxCustomID)
	}
	b, ok := parseVoteCustomID(id)
	got := b.ids
	if !ok || b.vote != bot.VoteDown || b.key != "1312345678901234567" || b.legacy {
		t.Fatalf("parse(%q) = %+v %v", id, b, ok)
	}
	if len(got) == 0 || len(got) > len(ids) {
		t.Fatalf("ids = %v", got)
	}
	for i := range got {
		if got[i] != ids[i] {
			t.Fatalf("ids = %v, want a prefix of %v", got, ids)
		}
	}
	if b, ok := parseVoteCustomID("bb:vote:up:k:a,b"); !ok || !b.legacy || b.vote != bot.VoteUp || b.key != "k" || strings.Join(b.ids, ",") != "a,b" {
		t.Errorf("legacy custom_id parsed as %+v %v", b, ok)
	}
	for _, bad := range []string{"", "bb:vote:", "bb:v:", "bb:vote:maybe:k", "bb:v:maybe:k", "other:up:k"} {
		if _, ok := parseVoteCustomID(bad); ok {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

func TestNeutralizeMentions(t *testing.T) {
	cases := map[string]string{
		"@everyone and @here":        "@\u200beveryone and @\u200bhere",
		"<@123> <@!45> <@&67>":       "<@\u200b123> <@\u200b!45> <@\u200b&67>",
		"@POTUS a@b.c <#99> <@x>":    "@POTUS a@b.c <#99> <@x>",
		"@\u200beveryone <@\u200b1>": "@\u200beveryone <@\u200b1>",
	}
	for in, want := range cases {
		got := NeutralizeMentions(in)
		if got != want {
			t.Errorf("NeutralizeMentions(%q) = %q, want %q", in, got, want)
		}
		if again := NeutralizeMentions(got); again != got {
			t.Errorf("NeutralizeMentions is not idempotent on %q: %q", got, again)
		}
		if back := restoreMentions(got); back != strings.ReplaceAll(in, "\u200b", "") {
			t.Errorf("restoreMentions(%q) = %q", got, back)
		}
	}
}
