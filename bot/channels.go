package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/briefbot/briefbot/internal/atomicfile"
)

// How a channel is answered (ChannelSettings.Answer).
const (
	// AnswerThreads answers mentions, and replies in threads the bot
	// answered in (the default).
	AnswerThreads = "threads"
	// AnswerMentions answers mentions only.
	AnswerMentions = "mentions"
	// AnswerAll also answers every question asked in the channel (a
	// message ending with a question mark), in its thread.
	AnswerAll = "all"
	// AnswerOff answers nothing in the channel.
	AnswerOff = "off"
	// AnswerOn answers the platform's default way, named for no platform:
	// in Slack the adapter's default mode (AnswerThreads unless configured
	// otherwise), in Discord `/brief ask` (Discord's answer:on stores it;
	// Discord has no threads in Slack's sense, and a Discord channel
	// stored as AnswerThreads before reads the same).
	AnswerOn = "on"
)

// ChannelSettings are one channel's settings. A zero field is unset: the
// default applies.
type ChannelSettings struct {
	// Answer is AnswerOn, AnswerThreads, AnswerMentions, AnswerAll or
	// AnswerOff.
	Answer string `json:"answer,omitempty" yaml:"answer"`
	// Private makes answers to the slash command visible to the asker only.
	Private *bool `json:"private,omitempty" yaml:"private"`
	// Collections restricts the channel's answers to the articles of these
	// collections; empty means every article. In a change, a non-nil
	// empty list clears a restriction.
	Collections []string `json:"collections,omitempty" yaml:"collections"`
}

// Mode returns the answer mode, def when unset or AnswerOn.
func (s ChannelSettings) Mode(def string) string {
	if s.Answer == "" || s.Answer == AnswerOn {
		return def
	}
	return s.Answer
}

// IsPrivate reports whether slash-command answers are private.
func (s ChannelSettings) IsPrivate() bool { return s.Private != nil && *s.Private }

// Check reports a setting with an unknown value.
func (s ChannelSettings) Check() error {
	for _, c := range s.Collections {
		if c == "" || len(c) > 64 || strings.ContainsAny(c, ", \t\n") {
			return fmt.Errorf("collection %q is not a collection name", c)
		}
	}
	switch s.Answer {
	case "", AnswerOn, AnswerThreads, AnswerMentions, AnswerAll, AnswerOff:
		return nil
	}
	return fmt.Errorf("answer must be on, threads, mentions, all or off, not %q", s.Answer)
}

// merge returns s with the fields o sets replaced.
func (s ChannelSettings) merge(o ChannelSettings) ChannelSettings {
	if o.Answer != "" {
		s.Answer = o.Answer
	}
	if o.Private != nil {
		s.Private = o.Private
	}
	if o.Collections != nil {
		s.Collections = o.Collections
		if len(s.Collections) == 0 {
			s.Collections = nil // cleared: every article
		}
	}
	return s
}

// Describe says the settings in one line.
func (s ChannelSettings) Describe(def string) string {
	priv := "visible to the channel"
	if s.IsPrivate() {
		priv = "private to the asker"
	}
	var mode string
	switch s.Mode(def) {
	case AnswerMentions:
		mode = "I answer when mentioned"
	case AnswerAll:
		mode = "I answer every question asked here (and mentions, and replies in my threads)"
	case AnswerOff:
		mode = "I answer nothing here"
	default:
		mode = "I answer when mentioned, and replies in threads I answered in"
	}
	scope := ""
	if len(s.Collections) > 0 {
		scope = "; I quote only the collections " + strings.Join(s.Collections, ", ")
	}
	return mode + "; slash-command answers are " + priv + scope + "."
}

// ChannelSettingsFile is the file, in the data directory, where settings
// changed by slash commands are kept.
const ChannelSettingsFile = "channel-settings.json"

// Channels keeps per-channel settings: those changed by slash commands,
// saved in the data directory (atomically), under those of the
// configuration file, which win for what they set. Keys are
// "platform:channel". It is safe for concurrent use.
type Channels struct {
	mu     sync.Mutex
	path   string
	stored map[string]ChannelSettings
	fixed  map[string]ChannelSettings

	// backend, when set, keeps the settings instead of the file (a
	// cluster's database): they are read back every refresh, so a change
	// made on another replica is seen within it.
	backend  ChannelBackend
	refresh  time.Duration
	loadedAt time.Time
	now      func() time.Time
}

// ChannelBackend keeps channel settings shared by several processes.
type ChannelBackend interface {
	// LoadChannels returns every channel's stored settings by ChannelKey.
	LoadChannels(ctx context.Context) (map[string]ChannelSettings, error)
	// SaveChannel stores one channel's settings.
	SaveChannel(ctx context.Context, key string, s ChannelSettings) error
}

// NewSharedChannels keeps the settings in backend (read at first use, then
// at most every refresh; a backend that cannot be read leaves the last
// settings read, the defaults at first), under the configured ones.
func NewSharedChannels(backend ChannelBackend, fixed map[string]ChannelSettings, refresh time.Duration) (*Channels, error) {
	for k, s := range fixed {
		if err := s.Check(); err != nil {
			return nil, fmt.Errorf("channel %s: %w", k, err)
		}
	}
	return &Channels{stored: map[string]ChannelSettings{}, fixed: fixed, backend: backend, refresh: refresh, now: time.Now}, nil
}

// reload reads the backend's settings when they are older than refresh
// (keeping the last ones when it cannot); c.mu is held.
func (c *Channels) reload() {
	if c.backend == nil || (!c.loadedAt.IsZero() && c.now().Sub(c.loadedAt) < c.refresh) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.loadedAt = c.now() // also on failure: not a query per question while the database is away
	if m, err := c.backend.LoadChannels(ctx); err == nil {
		c.stored = m
	}
}

// ChannelKey is the key of a channel in Channels.
func ChannelKey(platform, channel string) string { return platform + ":" + channel }

// OpenChannels reads the settings saved in dir ("": in memory only) and
// sets the configured ones (keyed by ChannelKey).
func OpenChannels(dir string, fixed map[string]ChannelSettings) (*Channels, error) {
	for k, s := range fixed {
		if err := s.Check(); err != nil {
			return nil, fmt.Errorf("channel %s: %w", k, err)
		}
	}
	c := &Channels{stored: map[string]ChannelSettings{}, fixed: fixed}
	if dir == "" {
		return c, nil
	}
	c.path = filepath.Join(dir, ChannelSettingsFile)
	data, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("channel settings: %w", err)
	}
	if err := json.Unmarshal(data, &c.stored); err != nil {
		return nil, fmt.Errorf("channel settings: %s is damaged (%v); move it away to start afresh", c.path, err)
	}
	if c.stored == nil {
		c.stored = map[string]ChannelSettings{}
	}
	return c, nil
}

// Get returns a channel's settings: stored, with the configured ones over
// them.
func (c *Channels) Get(platform, channel string) ChannelSettings {
	if c == nil {
		return ChannelSettings{}
	}
	k := ChannelKey(platform, channel)
	c.mu.Lock()
	stale := c.backend != nil && (c.loadedAt.IsZero() || c.now().Sub(c.loadedAt) >= c.refresh)
	if stale {
		c.loadedAt = c.now() // one reader reloads; the others use what is there
	}
	c.mu.Unlock()
	if stale {
		// Outside the lock: a slow database delays this question only, not
		// every question of every channel.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		m, err := c.backend.LoadChannels(ctx)
		cancel()
		if err == nil {
			c.mu.Lock()
			c.stored = m
			c.mu.Unlock()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stored[k].merge(c.fixed[k])
}

// Fixed returns the names of the settings the configuration file sets for
// the channel (which a slash command cannot change).
func (c *Channels) Fixed(platform, channel string) []string {
	if c == nil {
		return nil
	}
	f := c.fixed[ChannelKey(platform, channel)]
	var out []string
	if f.Answer != "" {
		out = append(out, "answer")
	}
	if f.Private != nil {
		out = append(out, "private")
	}
	if f.Collections != nil {
		out = append(out, "collections")
	}
	sort.Strings(out)
	return out
}

// Set changes the fields s sets for the channel, saves, and returns the
// channel's settings. A field the configuration sets is an error naming
// it: the file wins.
func (c *Channels) Set(platform, channel string, s ChannelSettings) (ChannelSettings, error) {
	if err := s.Check(); err != nil {
		return ChannelSettings{}, err
	}
	k := ChannelKey(platform, channel)
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.fixed[k]
	var fixed []string
	if s.Answer != "" && f.Answer != "" {
		fixed = append(fixed, "answer")
	}
	if s.Private != nil && f.Private != nil {
		fixed = append(fixed, "private")
	}
	if s.Collections != nil && f.Collections != nil {
		fixed = append(fixed, "collections")
	}
	if len(fixed) > 0 {
		return ChannelSettings{}, fmt.Errorf("%s is set in the configuration file for this channel", strings.Join(fixed, " and "))
	}
	if c.backend != nil {
		c.loadedAt = time.Time{}
		c.reload() // change the latest settings, not this replica's copy
	}
	// (a backend that could not be read: the change is made on the last
	// settings read, and saving it reports the failure)
	old := c.stored[k]
	c.stored[k] = old.merge(s)
	var err error
	if c.backend != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = c.backend.SaveChannel(ctx, k, c.stored[k])
		cancel()
	} else {
		err = c.save()
	}
	if err != nil {
		c.stored[k] = old
		return ChannelSettings{}, fmt.Errorf("channel settings not saved: %w", err)
	}
	return c.stored[k].merge(f), nil
}

// save writes the stored settings atomically; c.mu is held.
func (c *Channels) save() error {
	if c.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(c.stored, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(c.path, data); err != nil {
		return fmt.Errorf("channel settings: %w", err)
	}
	return nil
}
