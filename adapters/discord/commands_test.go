package discord

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
)

// withPermissions sets the invoking member's permission bits.
func withPermissions(raw []byte, perms string) []byte {
	return []byte(strings.Replace(string(raw), `"permissions":"0"`, `"permissions":"`+perms+`"`, 1))
}

func TestBriefSubcommandsRouting(t *testing.T) {
	manage := int64(discordgo.PermissionManageChannels)
	calls := 0
	sub := Command{
		Definition: &discordgo.ApplicationCommand{Name: "subscribe", Description: "Subscribe", DefaultMemberPermissions: &manage},
		Handle: func(context.Context, Invocation) (Message, error) {
			calls++
			return Message{Content: "subscribed"}, nil
		},
	}
	h := newHarness(t, &fakeSearcher{}, func(o *Options) { o.Commands = []Command{sub} })
	content := func(raw []byte) string {
		t.Helper()
		c, _ := at(t, h.interact(raw), "data", "content").(string)
		return c
	}
	// A member without Manage Channels is refused; with it, or as an
	// administrator, the subcommand runs.
	if c := content(commandInteraction("1", "subscribe")); !strings.Contains(c, "Only members who can manage this channel") || calls != 0 {
		t.Fatalf("no permission: %q, %d calls", c, calls)
	}
	if c := content(withPermissions(commandInteraction("2", "subscribe"), "16")); c != "subscribed" || calls != 1 {
		t.Fatalf("Manage Channels: %q, %d calls", c, calls)
	}
	if c := content(withPermissions(commandInteraction("3", "subscribe"), "8")); c != "subscribed" || calls != 2 {
		t.Fatalf("Administrator: %q, %d calls", c, calls)
	}
	// A command registered by an older version (top-level /subscribe) is
	// still answered, with the same permission check.
	if c := content(legacyInteraction("4", "subscribe")); !strings.Contains(c, "Only members") {
		t.Fatalf("legacy without permission: %q", c)
	}
	if c := content(legacyInteraction("5", CommandHelp)); !strings.Contains(c, "/brief ask") {
		t.Fatalf("legacy /help: %q", c)
	}
	// /brief alone is help; an unknown subcommand names the help.
	bare := mustJSON(map[string]any{
		"id": "6", "application_id": "app1", "type": 2, "token": "tok-6", "version": 1, "channel_id": "c1", "guild_id": "g1",
		"member": map[string]any{"user": map[string]any{"id": "u1"}},
		"data":   map[string]any{"id": "cmd-brief", "name": CommandGroup, "type": 1},
	})
	if c := content(bare); !strings.Contains(c, "/brief subscribe") {
		t.Fatalf("/brief alone: %q", c)
	}
	if c := content(commandInteraction("7", "frobnicate")); !strings.Contains(c, "/brief help") {
		t.Fatalf("unknown subcommand: %q", c)
	}
}

func TestSettingsSubcommand(t *testing.T) {
	channels, err := bot.OpenChannels(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, &fakeSearcher{result: droneResult}, func(o *Options) { o.Channels = channels })
	content := func(raw []byte) (string, any) {
		t.Helper()
		d := at(t, h.interact(raw), "data")
		c, _ := at(t, d, "content").(string)
		return c, d.(map[string]any)["flags"]
	}
	if c, _ := content(commandInteraction("1", CommandSettings)); !strings.Contains(c, "I answer `/brief ask` here") {
		t.Fatalf("show: %q", c)
	}
	off := map[string]any{"name": "answer", "type": 3, "value": "off"}
	if c, _ := content(commandInteraction("2", CommandSettings, off)); !strings.Contains(c, "Only members who can manage") {
		t.Fatalf("without Manage Channels: %q", c)
	}
	if c, _ := content(withPermissions(commandInteraction("3", CommandSettings, off), "16")); !strings.Contains(c, "switched off") {
		t.Fatalf("answer off: %q", c)
	}
	if c, _ := content(askInteraction("4", "How many drones?")); !strings.Contains(c, "switched off in this channel") {
		t.Fatalf("/brief ask where off: %q", c)
	}
	on := map[string]any{"name": "answer", "type": 3, "value": "on"}
	private := map[string]any{"name": "private", "type": 5, "value": true}
	if c, _ := content(withPermissions(commandInteraction("5", CommandSettings, on, private), "16")); !strings.Contains(c, "visible only to the asker") {
		t.Fatalf("private on: %q", c)
	}
	if _, flags := content(askInteraction("6", "How many drones?")); flags != float64(discordgo.MessageFlagsEphemeral) {
		t.Fatalf("private answer flags %v", flags)
	}
	if s := channels.Get(bot.PlatformDiscord, "c1"); s.Answer != bot.AnswerOn || !s.IsPrivate() {
		t.Fatalf("stored %+v, want answer %q (Discord has no threads)", s, bot.AnswerOn)
	}
}

func TestSettingsStoredAsThreadsBeforeReadAsOn(t *testing.T) {
	// answer:on was stored as "threads" before: such a channel still
	// answers /brief ask and says so.
	dir := t.TempDir()
	old := `{"discord:c1": {"answer": "threads", "private": false}}`
	if err := os.WriteFile(filepath.Join(dir, bot.ChannelSettingsFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	channels, err := bot.OpenChannels(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, &fakeSearcher{result: droneResult}, func(o *Options) { o.Channels = channels })
	d := at(t, h.interact(commandInteraction("1", CommandSettings)), "data")
	if c, _ := at(t, d, "content").(string); !strings.Contains(c, "I answer `/brief ask` here") {
		t.Fatalf("show: %q", c)
	}
	d = at(t, h.interact(askInteraction("2", "How many drones?")), "data")
	if c, _ := at(t, d, "content").(string); !strings.Contains(c, "How many drones?") || strings.Contains(c, "switched off") {
		t.Fatalf("/brief ask not answered: %q", c)
	}
}
