package slack

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/internal/golden"
	"github.com/briefbot/briefbot/retrieval"
)

var searched = retrieval.Coverage{Articles: 5, From: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)}

func TestRenderGolden(t *testing.T) {
	long := strings.Repeat("Officials said the talks in Miami were productive & constructive <really>. ", 80)
	cases := []struct {
		name string
		ans  bot.Answer
		opts RenderOptions
	}{
		{"answer_found", bot.Answer{Question: "How many drones and missiles did Russia fire on Friday night?", Found: true, Searched: searched,
			Quotes: []retrieval.Quote{
				{Text: "Russia fired 653 drones and 51 missiles overnight, Ukraine's air force said.",
					Article: retrieval.ArticleMeta{ID: "002_8c35132417f41974", Title: "Zelensky: 'very productive' call with Witkoff", Source: "Kyiv Post",
						URL: "https://example.com/news?id=2&lang=en", Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)}},
				{Text: "Moscow seems to have made no compromises, continuing extensive bombardments of Ukraine.",
					Article: retrieval.ArticleMeta{ID: "004_77a3aa7004129db4", Title: "Talks in Miami", Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)}},
			}}, RenderOptions{Votes: true}},
		{"answer_corroboration", bot.Answer{Question: "Who joined the call with Witkoff?", Found: true, Searched: searched,
			Quotes: []retrieval.Quote{{Text: "He was joined on the call by Secretary of State Marco Rubio and Jared Kushner.",
				Article: retrieval.ArticleMeta{ID: "003_37c6020937afcbb6", Title: "US officials chart next steps", Source: "Example Times", Published: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC)},
				AlsoIn:  []retrieval.ArticleMeta{{ID: "000_eb42b95f6b4ebabf", Title: "Trump advisers hold talks with Zelensky"}, {ID: "001_eacc4f17978b34f1"}}}}},
			RenderOptions{ShowQuestion: true, Votes: true}},
		{"answer_not_found", bot.Answer{Question: "Who won the football?", Searched: searched}, RenderOptions{Votes: true}},
		{"answer_trimmed", bot.Answer{Question: "What happened in Miami?", Found: true, Searched: searched,
			Quotes: []retrieval.Quote{{Text: long, Article: retrieval.ArticleMeta{ID: "x1", Title: strings.Repeat("Very long headline ", 40)}}}},
			RenderOptions{}},
		{"answer_truncated", bot.Answer{Question: "Where will the ferries dock?", Found: true, Searched: searched,
			Quotes: []retrieval.Quote{{Text: "The harbour authority closed the northern pier on Tuesday. Engineers said ferries would dock at the southern terminal, which will add",
				Article: retrieval.ArticleMeta{ID: "pier.txt", Title: "Pier closed"}, Truncated: true}}},
			RenderOptions{}},
		{"answer_mentions", bot.Answer{Question: "<!channel> who pinged @here?", Found: true, Searched: searched,
			Quotes: []retrieval.Quote{{Text: "Notice to <!channel> <!here> <!everyone> <@U024BE7LH> <#C024BE7LR|general> <!subteam^SAZ94GDB8> and @channel, @Here & @everyone: <https://evil.example|click>.",
				Article: retrieval.ArticleMeta{ID: "<@U1>", Title: "<!here> *bold* title", Source: "@everyone news", URL: "javascript:alert(1)"}}}},
			RenderOptions{ShowQuestion: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := RenderAnswer(c.ans, c.opts)
			checkLimits(t, m)
			golden.JSON(t, c.name, m)
		})
	}
}

func TestRenderLibraryGolden(t *testing.T) {
	lib := bot.Library{Articles: 5, Chunks: 23, From: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC), Latest: []retrieval.ArticleMeta{
		{ID: "004_77a3aa7004129db4", Title: "Ukraine and US to meet in Miami", Source: "ST", Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
		{ID: "002_8c35132417f41974", Title: "Zelensky & Witkoff <call>", URL: "https://example.com/a", Published: time.Date(2025, 12, 5, 0, 0, 0, 0, time.UTC)},
	}}
	m := RenderLibrary(lib)
	checkLimits(t, m)
	golden.JSON(t, "sources", m)
}

// checkLimits fails if m breaks a Slack limit or could ping anyone.
func checkLimits(t *testing.T, m Message) {
	t.Helper()
	if len(m.Blocks) > MaxBlocks {
		t.Errorf("%d blocks, limit %d", len(m.Blocks), MaxBlocks)
	}
	if m.Text == "" {
		t.Error("no plain-text fallback")
	}
	texts := []string{m.Text}
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			texts = append(texts, b.Text.Text)
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if o, ok := e.(*slack.TextBlockObject); ok {
					texts = append(texts, o.Text)
				}
			}
		case *slack.ActionBlock:
			for _, e := range b.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok && utf8.RuneCountInString(btn.Value) > MaxButtonValue {
					t.Errorf("button value of %d characters", utf8.RuneCountInString(btn.Value))
				}
			}
		}
	}
	for _, s := range texts {
		if n := utf8.RuneCountInString(s); n > MaxSectionText && s != m.Text {
			t.Errorf("text of %d characters, limit %d", n, MaxSectionText)
		}
		for _, ping := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U", "<#C", "<!subteam", "@channel", "@here", "@everyone", "@Here"} {
			if strings.Contains(s, ping) {
				t.Errorf("%q would ping: %s", ping, s)
			}
		}
	}
}

func TestEscapeText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a & b < c > d", "a &amp; b &lt; c &gt; d"},
		{"<!channel> hi", "&lt;!channel&gt; hi"},
		{"<@U123|bob>", "&lt;@U123|bob&gt;"},
		{"hey @channel and @here, @everyone!", "hey @\u2060channel and @\u2060here, @\u2060everyone!"},
		{"mail me@channels.example", "mail me@\u2060channels.example"}, // broken too: no "@channel" reaches Slack
		{"@here0 and @HEREford", "@\u2060here0 and @\u2060HEREford"},
		{"&amp; stays visible", "&amp;amp; stays visible"},
	}
	for _, c := range cases {
		if got := EscapeText(c.in); got != c.want {
			t.Errorf("EscapeText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFitNeverSplitsEntities(t *testing.T) {
	raw := strings.Repeat("a&b ", 1000)
	for _, limit := range []int{10, 11, 12, 13, 100, 2999, 3000} {
		got := fit(raw, limit)
		if n := utf8.RuneCountInString(got); n > limit {
			t.Errorf("fit(_, %d) is %d characters", limit, n)
		}
		body := strings.TrimSuffix(got, ellipsis)
		if strings.Count(body, "&") != strings.Count(body, "&amp;") {
			t.Errorf("fit(_, %d) split an entity: %q", limit, got[max(0, len(got)-20):])
		}
	}
}

func TestQuestionText(t *testing.T) {
	cases := []struct{ in, self, want string }{
		{"<@UBOT> How many drones?", "UBOT", "How many drones?"},
		{"<@UBOT|briefbot> what did <@U2|ann> say in <#C1|general> about <https://x.example/a?b=1&amp;c=2|this> &amp; that?", "UBOT", "what did @ann say in #general about this & that?"},
		{"hey <@UBOT>  drones ?", "UBOT", "hey drones ?"},
		{"<@UBOT> drones", "", "drones"},
		{"<!here> <https://x.example>", "UBOT", "@here https://x.example"},
	}
	for _, c := range cases {
		if got := questionText(c.in, c.self); got != c.want {
			t.Errorf("questionText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestVoteValueFits(t *testing.T) {
	q := strings.Repeat("ü", bot.MaxQuestionLen*4)
	v := encodeVoteValue(q, []string{"a", "b", "c"})
	if n := utf8.RuneCountInString(v); n > MaxButtonValue {
		t.Fatalf("value of %d characters", n)
	}
	got, err := decodeVoteValue(v)
	if err != nil || len(got.ArticleIDs) != 3 || !strings.HasPrefix(q, got.Question) {
		t.Fatalf("decoded %+v, %v", got, err)
	}
}

func TestCapBlocks(t *testing.T) {
	var blocks []slack.Block
	for range 60 {
		blocks = append(blocks, section("x"))
	}
	got := capBlocks(blocks, 1)
	if len(got) != MaxBlocks-1 {
		t.Fatalf("%d blocks, want %d (one left for the votes)", len(got), MaxBlocks-1)
	}
	last, ok := got[len(got)-1].(*slack.ContextBlock)
	if !ok || !strings.Contains(last.ContextElements.Elements[0].(*slack.TextBlockObject).Text, "12 more blocks left out") {
		t.Errorf("last block %#v, want a note on what was left out", got[len(got)-1])
	}
	if n := len(capBlocks(blocks[:10])); n != 10 {
		t.Errorf("capBlocks trimmed a short message to %d blocks", n)
	}
}
