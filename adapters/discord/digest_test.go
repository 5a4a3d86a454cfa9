package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/bot/digest/digesttest"
	"github.com/briefbot/briefbot/internal/golden"
	"github.com/briefbot/briefbot/retrieval"
)

// sampleDigest has a new story with linked citations, a follow-up whose
// article has no URL, and text that tries to ping people.
func sampleDigest() digest.Digest {
	return digesttest.Sample(digesttest.Hostile{
		Headline: "Zelensky: 'very productive' call with @everyone",
		Sentence: "@here the talks in Miami were constructive, said <@123456789>.",
		Title:    "Overnight [attack]",
	})
}

func TestRenderDigestGolden(t *testing.T) {
	golden.JSON(t, "digest", RenderDigest(sampleDigest()))
	golden.JSON(t, "digest_empty", RenderDigest(digest.Digest{Date: "2025-12-06", Window: digest.Window{Last: 24 * time.Hour}, Timezone: "UTC", Stories: []digest.Story{}}))
}

func TestRenderDigestNeutralisesMentions(t *testing.T) {
	b, _ := json.Marshal(RenderDigest(sampleDigest()))
	for _, bad := range []string{"@everyone", "@here", "<@123456789>"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("rendered digest contains %q", bad)
		}
	}
}

// TestRenderDigestLimits fills a digest far past Discord's limits.
func TestRenderDigestLimits(t *testing.T) {
	long := strings.Repeat("The convoy and its escort moved on after the ceasefire talks stalled again. ", 80)
	for _, n := range []int{3, 14} {
		d := digest.Digest{Date: "2025-12-06", Window: digest.Window{All: true}, Timezone: "UTC", Articles: 40}
		for i := range n {
			s := digest.Story{Headline: fmt.Sprintf("Story %d ", i) + long[:400], New: true, Sources: 2}
			for j := range 3 {
				s.Sentences = append(s.Sentences, digest.Sentence{Text: long, Article: retrieval.ArticleMeta{ID: fmt.Sprintf("a%d-%d", i, j), Title: "T"}})
			}
			d.Stories = append(d.Stories, s)
		}
		m := RenderDigest(d)
		if len(m.Embeds) == 0 || len(m.Embeds) > MaxEmbeds || embedsLen(m.Embeds) > MaxEmbedsTotal || Len(m.Content) > MaxContent {
			t.Fatalf("%d stories: %d embeds, %d characters, content %d", n, len(m.Embeds), embedsLen(m.Embeds), Len(m.Content))
		}
		for _, e := range m.Embeds {
			if Len(e.Title) > MaxEmbedTitle || Len(e.Description) > MaxEmbedDescription {
				t.Fatalf("embed over its limits: title %d, description %d", Len(e.Title), Len(e.Description))
			}
		}
		want := fmt.Sprintf("… and %d more stories", n-len(m.Embeds))
		if !strings.Contains(m.Content, want) {
			t.Errorf("%d stories, %d embeds: content %q lacks %q", n, len(m.Embeds), m.Content, want)
		}
	}
}

func TestDigestCommands(t *testing.T) {
	f := &digesttest.Commands{Digest: sampleDigest()}
	cmds := map[string]Command{}
	for _, c := range DigestCommands(f) {
		cmds[c.Definition.Name] = c
	}
	opt := func(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
	}
	inv := func(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) Invocation {
		i := Invocation{Name: name, ChannelID: "C9", Options: map[string]*discordgo.ApplicationCommandInteractionDataOption{}}
		for _, o := range opts {
			i.Options[o.Name] = o
		}
		return i
	}
	cases := []struct {
		inv       Invocation
		ephemeral bool
		want      string
	}{
		{inv("subscribe", opt("time", "07:30"), opt("timezone", "Europe/Kyiv")), false, "every day at 07:30 (Europe/Kyiv)"},
		{inv("subscribe"), false, "every day at 08:00 (UTC)"},
		{inv("subscribe", opt("timezone", "Mars/Olympus")), true, `Unknown time zone "Mars/Olympus"`},
		{inv("subscribe", opt("time", "8am")), true, "is not a time like 08:00"},
		{inv("unsubscribe"), false, "no longer get the daily digest"},
		{inv("digest"), true, "Preview, visible only to you"},
	}
	for _, c := range cases {
		m, err := cmds[c.inv.Name].Handle(context.Background(), c.inv)
		if err != nil || m.Ephemeral != c.ephemeral || !strings.Contains(m.Content, c.want) {
			t.Errorf("/%s %v: %+v, %v; want ephemeral %v containing %q", c.inv.Name, c.inv.Options, m, err, c.ephemeral, c.want)
		}
	}
	if len(f.Subscriptions()) != 2 || f.Subscriptions()[0].Platform != "discord" || f.Subscriptions()[0].Channel != "C9" || f.Subscriptions()[0].At != "07:30" {
		t.Errorf("subscriptions %+v", f.Subscriptions())
	}
	// Where the application may not post (app_permissions lacks Send
	// Messages), /brief subscribe is refused at once and nothing stored.
	n := len(f.Subscriptions())
	for perms, refused := range map[int64]bool{
		discordgo.PermissionViewChannel | discordgo.PermissionEmbedLinks:                                    true,
		discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionEmbedLinks: false,
		discordgo.PermissionAdministrator:                                                                   false,
	} {
		i := inv("subscribe")
		i.Interaction = &discordgo.Interaction{GuildID: "G1", ChannelID: "C9", AppPermissions: perms}
		m, err := cmds["subscribe"].Handle(context.Background(), i)
		if err != nil || strings.Contains(m.Content, "I can't post in this channel") != refused || (refused && !m.Ephemeral) {
			t.Errorf("app permissions %b: %+v %v (refused %v)", perms, m, err, refused)
		}
		if !refused {
			n++
		}
		if len(f.Subscriptions()) != n {
			t.Errorf("app permissions %b: %d subscriptions, want %d", perms, len(f.Subscriptions()), n)
		}
	}
	if !cmds["digest"].Ephemeral || cmds["subscribe"].Definition.DefaultMemberPermissions == nil {
		t.Error("/digest must defer ephemerally and /subscribe needs Manage Channels by default")
	}
	if h := helpText(DigestCommands(f)); !strings.Contains(h, "/brief subscribe") || !strings.Contains(h, "/brief digest") {
		t.Errorf("help: %s", h)
	}
}

// PostDigestID returns the id Discord gave the posted message (a
// cluster's digest ledger records it).
func TestPostDigestID(t *testing.T) {
	rest := newRESTFake(t)
	a, err := New(Options{BotToken: "t", AppID: "app1", APIURL: rest.APIURL(), Bot: bot.New(&fakeSearcher{}, bot.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.PostDigestID(context.Background(), "c9", sampleDigest())
	if err != nil || id != "901" {
		t.Fatalf("PostDigestID = %q, %v; want the fake's 901", id, err)
	}
	if _, err := a.PostDigestID(context.Background(), "", sampleDigest()); err == nil {
		t.Fatal("posted without a channel")
	}
}
