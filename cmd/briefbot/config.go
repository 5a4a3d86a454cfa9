package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/briefbot/briefbot/bot"
)

// Config is everything `briefbot serve` reads. Environment variables
// override the optional YAML file (--config). Tokens and secrets come only
// from here and are never logged.
type Config struct {
	HTTPAddr  string   `yaml:"http_addr"`  // BRIEFBOT_HTTP_ADDR, default :8080
	Data      string   `yaml:"data"`       // BRIEFBOT_DATA
	Embedder  string   `yaml:"embedder"`   // BRIEFBOT_EMBEDDER
	LogFormat string   `yaml:"log_format"` // BRIEFBOT_LOG_FORMAT: text, json (default: text on a terminal)
	LogLevel  string   `yaml:"log_level"`  // BRIEFBOT_LOG_LEVEL: debug, info, warn, error
	Watch     []string `yaml:"watch"`      // BRIEFBOT_WATCH, comma-separated
	// WatchInterval is how often watched paths are rescanned (BRIEFBOT_WATCH_INTERVAL, default 15s).
	WatchInterval string `yaml:"watch_interval"`
	// DatabaseURL switches to cluster mode: PostgreSQL holds the corpus and
	// the shared state (BRIEFBOT_DATABASE_URL, a postgres:// URL). Empty: the
	// embedded default, local files in the data directory.
	DatabaseURL string `yaml:"database_url"`
	// Feeds are RSS, Atom or JSON Feed URLs serve follows (BRIEFBOT_FEEDS,
	// comma-separated), polled every FeedInterval (BRIEFBOT_FEED_INTERVAL,
	// default 15m); see feeds.go.
	Feeds        []string `yaml:"feeds"`
	FeedInterval string   `yaml:"feed_interval"`
	// FeedFetch fetches the pages of feed items that carry only a summary
	// (BRIEFBOT_FEED_FETCH=true).
	FeedFetch bool `yaml:"feed_fetch"`

	// Channels are per-channel settings; they win over those changed with
	// /brief settings for what they set.
	Channels []ChannelConfig `yaml:"channels"`

	Slack   SlackConfig      `yaml:"slack"`
	Discord DiscordConfig    `yaml:"discord"`
	Digests []DigestSchedule `yaml:"digests"`
	// DigestEmpty says what a digest of an empty window does: "post" a one-line
	// note (default) or "skip" (BRIEFBOT_DIGEST_EMPTY).
	DigestEmpty string `yaml:"digest_empty"`
}

// SlackConfig configures the Slack adapter.
type SlackConfig struct {
	BotToken      string `yaml:"bot_token"`      // SLACK_BOT_TOKEN (xoxb-)
	AppToken      string `yaml:"app_token"`      // SLACK_APP_TOKEN (xapp-): Socket Mode
	SigningSecret string `yaml:"signing_secret"` // SLACK_SIGNING_SECRET: HTTP Events API
	APIURL        string `yaml:"api_url"`        // SLACK_API_URL, default https://slack.com/api/
	// ThreadReplies is "on" (default): a reply in a thread where the bot
	// answered is answered without a new mention; "off": only mentions
	// (SLACK_THREAD_REPLIES).
	ThreadReplies string `yaml:"thread_replies"`
	// Admins are user ids who may change channel settings besides the
	// workspace's admins (SLACK_ADMINS, comma-separated).
	Admins []string `yaml:"admins"`
}

// ChannelConfig sets one channel's settings (see bot.ChannelSettings).
type ChannelConfig struct {
	Platform string `yaml:"platform"` // slack or discord
	Channel  string `yaml:"channel"`
	Answer   string `yaml:"answer"`  // on (the platform's default), threads, mentions, all, off
	Private  *bool  `yaml:"private"` // slash-command answers visible to the asker only
	// Collections restricts the channel's answers to these collections.
	Collections []string `yaml:"collections"`
}

// Enabled reports whether Slack is configured.
func (c SlackConfig) Enabled() bool { return c.BotToken != "" }

// DiscordConfig configures the Discord adapter.
type DiscordConfig struct {
	BotToken  string `yaml:"bot_token"`  // DISCORD_BOT_TOKEN
	AppID     string `yaml:"app_id"`     // DISCORD_APP_ID
	PublicKey string `yaml:"public_key"` // DISCORD_PUBLIC_KEY (hex): HTTP interactions
	GuildID   string `yaml:"guild_id"`   // DISCORD_GUILD_ID: register commands in one guild
	APIURL    string `yaml:"api_url"`    // DISCORD_API_URL, default https://discord.com/api/v9
}

// Enabled reports whether Discord is configured.
func (c DiscordConfig) Enabled() bool { return c.BotToken != "" && c.AppID != "" }

// DigestSchedule posts a daily digest to a channel.
type DigestSchedule struct {
	Platform string `yaml:"platform"` // slack or discord
	Channel  string `yaml:"channel"`
	At       string `yaml:"at"`       // HH:MM, default digest.DefaultAt
	Timezone string `yaml:"timezone"` // IANA zone, default UTC
	Window   string `yaml:"window"`   // default 24h (digest.DefaultWindow)
}

// loadConfig reads the YAML file (if any), then applies the environment,
// and checks that each configured adapter has what serving it needs.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	c, err := readConfig(path, getenv)
	if err != nil {
		return c, err
	}
	if c.Discord.BotToken != "" && c.Discord.AppID == "" {
		return c, fmt.Errorf("config: DISCORD_BOT_TOKEN is set but DISCORD_APP_ID is not")
	}
	if (c.Slack.AppToken != "" || c.Slack.SigningSecret != "") && c.Slack.BotToken == "" {
		return c, fmt.Errorf("config: SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not")
	}
	return c, nil
}

// readConfig is loadConfig without the adapter checks, for `digest --post`,
// which posts with a bot token alone: another platform's settings, or an
// application id it does not use, must not stop it.
func readConfig(path string, getenv func(string) string) (Config, error) {
	var c Config
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	}
	set := func(dst *string, key string) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			*dst = v
		}
	}
	set(&c.HTTPAddr, "BRIEFBOT_HTTP_ADDR")
	set(&c.Data, "BRIEFBOT_DATA")
	set(&c.Embedder, "BRIEFBOT_EMBEDDER")
	set(&c.LogFormat, "BRIEFBOT_LOG_FORMAT")
	set(&c.LogLevel, "BRIEFBOT_LOG_LEVEL")
	set(&c.WatchInterval, "BRIEFBOT_WATCH_INTERVAL")
	set(&c.DigestEmpty, "BRIEFBOT_DIGEST_EMPTY")
	set(&c.DatabaseURL, "BRIEFBOT_DATABASE_URL")
	if v := getenv("BRIEFBOT_WATCH"); v != "" {
		c.Watch = splitList(v)
	}
	set(&c.FeedInterval, "BRIEFBOT_FEED_INTERVAL")
	if v := strings.TrimSpace(getenv("BRIEFBOT_FEED_FETCH")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("config: BRIEFBOT_FEED_FETCH must be true or false, not %q", v)
		}
		c.FeedFetch = b
	}
	if v := getenv("BRIEFBOT_FEEDS"); v != "" {
		c.Feeds = splitList(v)
	}
	if err := checkFeeds(c); err != nil {
		return c, err
	}
	set(&c.Slack.BotToken, "SLACK_BOT_TOKEN")
	set(&c.Slack.AppToken, "SLACK_APP_TOKEN")
	set(&c.Slack.SigningSecret, "SLACK_SIGNING_SECRET")
	set(&c.Slack.APIURL, "SLACK_API_URL")
	set(&c.Slack.ThreadReplies, "SLACK_THREAD_REPLIES")
	if v := getenv("SLACK_ADMINS"); v != "" {
		c.Slack.Admins = splitList(v)
	}
	set(&c.Discord.BotToken, "DISCORD_BOT_TOKEN")
	set(&c.Discord.AppID, "DISCORD_APP_ID")
	set(&c.Discord.PublicKey, "DISCORD_PUBLIC_KEY")
	set(&c.Discord.GuildID, "DISCORD_GUILD_ID")
	set(&c.Discord.APIURL, "DISCORD_API_URL")
	at, tz := getenv("BRIEFBOT_DIGEST_AT"), getenv("BRIEFBOT_DIGEST_TZ")
	for _, p := range []struct{ platform, key string }{{bot.PlatformSlack, "BRIEFBOT_DIGEST_SLACK"}, {bot.PlatformDiscord, "BRIEFBOT_DIGEST_DISCORD"}} {
		for _, ch := range splitList(getenv(p.key)) {
			c.Digests = append(c.Digests, DigestSchedule{Platform: p.platform, Channel: ch, At: at, Timezone: tz})
		}
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8080"
	}
	for i := range c.Digests {
		d := &c.Digests[i] // at, timezone and window default in digest.Subscription.Normalize
		if !bot.IsChatPlatform(d.Platform) {
			return c, fmt.Errorf("config: digest %d: platform must be slack or discord, not %q", i+1, d.Platform)
		}
		if d.Channel == "" {
			return c, fmt.Errorf("config: digest %d: channel is empty", i+1)
		}
	}
	for i, ch := range c.Channels {
		if !bot.IsChatPlatform(ch.Platform) {
			return c, fmt.Errorf("config: channel %d: platform must be slack or discord, not %q", i+1, ch.Platform)
		}
		if ch.Channel == "" {
			return c, fmt.Errorf("config: channel %d: channel is empty", i+1)
		}
		if err := (bot.ChannelSettings{Answer: ch.Answer}).Check(); err != nil {
			return c, fmt.Errorf("config: channel %d: %w", i+1, err)
		}
	}
	switch c.Slack.ThreadReplies {
	case "", "on", "off":
	default:
		return c, fmt.Errorf("config: SLACK_THREAD_REPLIES must be on or off, not %q", c.Slack.ThreadReplies)
	}
	switch c.LogFormat {
	case "", "text", "json":
	default:
		return c, fmt.Errorf("config: BRIEFBOT_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// channelSettings returns the configured channel settings by bot.ChannelKey.
func (c Config) channelSettings() map[string]bot.ChannelSettings {
	m := map[string]bot.ChannelSettings{}
	for _, ch := range c.Channels {
		m[bot.ChannelKey(ch.Platform, ch.Channel)] = bot.ChannelSettings{Answer: ch.Answer, Private: ch.Private, Collections: ch.Collections}
	}
	return m
}
