package slack

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestManifest keeps the shipped app manifest in step with what the
// adapter serves: its scopes, events, command, routes and Socket Mode.
func TestManifest(t *testing.T) {
	data, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command string `yaml:"command"`
				URL     string `yaml:"url"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				RequestURL string   `yaml:"request_url"`
				BotEvents  []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled    bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"app_mentions:read", "chat:write", "commands", "im:history", "im:read"} {
		if !slices.Contains(m.OAuth.Scopes.Bot, s) {
			t.Errorf("scope %s missing", s)
		}
	}
	for _, e := range []string{"app_mention", "message.im"} {
		if !slices.Contains(m.Settings.Events.BotEvents, e) {
			t.Errorf("event %s missing", e)
		}
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/brief" || !strings.HasSuffix(m.Features.SlashCommands[0].URL, CommandsPath) {
		t.Errorf("slash commands %+v, want /brief at %s", m.Features.SlashCommands, CommandsPath)
	}
	if !strings.HasSuffix(m.Settings.Events.RequestURL, EventsPath) || !strings.HasSuffix(m.Settings.Interactivity.RequestURL, InteractionsPath) || !m.Settings.Interactivity.Enabled {
		t.Errorf("request URLs %q, %q do not match the routes", m.Settings.Events.RequestURL, m.Settings.Interactivity.RequestURL)
	}
	if !m.Settings.SocketMode {
		t.Error("socket mode is not enabled")
	}
}
