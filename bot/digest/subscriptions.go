package digest

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"time"
	_ "time/tzdata" // zones load in minimal containers too

	"github.com/briefbot/briefbot/bot"
)

// SubscriptionsFile is the subscriptions' file name in the data directory.
const SubscriptionsFile = "digest-subscriptions.json"

// DefaultAt is the local time a subscription posts at when none is given.
const DefaultAt = "08:00"

// ErrBadSubscription reports a subscription that cannot be scheduled.
var ErrBadSubscription = errors.New("digest: bad subscription")

// BadSubscription returns an error wrapping ErrBadSubscription whose
// detail, the formatted sentence, is a bot.UserError: what the adapters
// tell the user (bot.UserText). Its Error() is "digest: bad subscription:
// " and the sentence.
func BadSubscription(format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrBadSubscription, bot.UserErrorf(nil, format, args...))
}

// Subscription asks for a channel's daily digest at a local time.
type Subscription struct {
	Platform string `json:"platform" yaml:"platform"`
	Channel  string `json:"channel" yaml:"channel"`
	// At is the local time of day, "HH:MM" (default DefaultAt).
	At string `json:"at" yaml:"at"`
	// Timezone is an IANA zone (default UTC).
	Timezone string `json:"timezone" yaml:"timezone"`
	// Window is how far back the digest looks, e.g. "24h" (default 24h).
	Window string `json:"window,omitempty" yaml:"window"`
	// SkipEmpty posts nothing when the window holds no briefings.
	SkipEmpty bool `json:"skip_empty,omitempty" yaml:"skip_empty"`
	// Created is when the channel subscribed: runs scheduled before it are
	// not caught up.
	Created time.Time `json:"created,omitzero" yaml:"-"`
}

// Target is where the subscription's digests go.
func (s Subscription) Target() Target { return Target{Platform: s.Platform, Channel: s.Channel} }

// Normalize fills defaults and checks the time, the zone and the window.
func (s Subscription) Normalize() (Subscription, error) {
	if s.At == "" {
		s.At = DefaultAt
	}
	if s.Timezone == "" {
		s.Timezone = "UTC"
	}
	if s.Window == "" {
		s.Window = "24h"
	}
	if _, err := ParseTarget(s.Target().String()); err != nil {
		return s, BadSubscription("%v", err)
	}
	if _, _, err := s.clock(); err != nil {
		return s, err
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil {
		return s, BadSubscription("unknown time zone %q", s.Timezone)
	}
	if w, err := time.ParseDuration(s.Window); err != nil || w <= 0 {
		return s, BadSubscription("window %q is not a duration like 24h", s.Window)
	}
	return s, nil
}

// clock parses At.
func (s Subscription) clock() (hour, minute int, err error) {
	t, err := time.Parse("15:04", s.At)
	if err != nil {
		return 0, 0, BadSubscription("at %q is not a time like 08:00", s.At)
	}
	return t.Hour(), t.Minute(), nil
}

// Location is the subscription's zone (UTC if it does not load).
func (s Subscription) Location() *time.Location {
	loc, err := loadLocation(s.Timezone)
	if err != nil || s.Timezone == "" {
		return time.UTC
	}
	return loc
}

// WindowDuration is the subscription's window (DefaultWindow if unset).
func (s Subscription) WindowDuration() time.Duration {
	w, err := time.ParseDuration(s.Window)
	if err != nil || w <= 0 {
		return DefaultWindow
	}
	return w
}

// LatestRun is the latest scheduled run at or before now: today's local
// time if it has passed, else yesterday's. Across a DST change the local
// time stays the same and the UTC instant moves (see runOn for a local time
// the change skips or repeats).
func (s Subscription) LatestRun(now time.Time) time.Time {
	local := now.In(s.Location())
	run := s.runOn(local.Year(), local.Month(), local.Day())
	if run.After(now) {
		run = s.runOn(local.Year(), local.Month(), local.Day()-1)
	}
	return run
}

// Delivery is what a run at the scheduled time run posts.
func (s Subscription) Delivery(run time.Time) Delivery {
	loc := s.Location()
	return Delivery{
		Target:    s.Target(),
		Day:       Day(run, loc),
		Options:   Options{Now: run, Location: loc, Window: s.WindowDuration()},
		SkipEmpty: s.SkipEmpty,
	}
}

// SubscriptionStore keeps the channels' own subscriptions: [Subscriptions]
// in the data directory, or the cluster package's table in PostgreSQL.
type SubscriptionStore interface {
	// List returns the subscriptions, by platform and channel.
	List() ([]Subscription, error)
	// Add subscribes a channel, replacing its previous subscription.
	Add(sub Subscription) (Subscription, error)
	// Remove unsubscribes a channel and reports whether it was subscribed.
	Remove(t Target) (bool, error)
}

var _ SubscriptionStore = (*Subscriptions)(nil)

// Subscriptions is the set of subscribed channels, persisted in the data
// directory. It is safe for concurrent use; every call re-reads the file.
type Subscriptions struct {
	path string
	mu   sync.Mutex
	now  func() time.Time
}

// OpenSubscriptions returns the subscriptions kept in the data directory
// dir; now stamps new subscriptions (nil: time.Now).
func OpenSubscriptions(dir string, now func() time.Time) *Subscriptions {
	if now == nil {
		now = time.Now
	}
	return &Subscriptions{path: filepath.Join(dir, SubscriptionsFile), now: now}
}

// Path is the subscriptions' file.
func (s *Subscriptions) Path() string { return s.path }

type subscriptionsData struct {
	Subscriptions []Subscription `json:"subscriptions"`
}

func (s *Subscriptions) load() (subscriptionsData, error) {
	var d subscriptionsData
	if err := readJSON(s.path, &d); err != nil {
		return d, fmt.Errorf("digest: read subscriptions: %w", err)
	}
	return d, nil
}

// List returns the subscriptions, by platform and channel.
func (s *Subscriptions) List() ([]Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.load()
	return d.Subscriptions, err
}

// Add subscribes a channel, replacing its previous subscription.
func (s *Subscriptions) Add(sub Subscription) (Subscription, error) {
	sub, err := sub.Normalize()
	if err != nil {
		return sub, err
	}
	if sub.Created.IsZero() {
		sub.Created = s.now().UTC()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.load()
	if err != nil {
		return sub, err
	}
	out := d.Subscriptions[:0:0]
	for _, o := range d.Subscriptions {
		if o.Target() != sub.Target() {
			out = append(out, o)
		}
	}
	out = append(out, sub)
	sort.Slice(out, func(i, j int) bool { return out[i].Target().String() < out[j].Target().String() })
	d.Subscriptions = out
	if err := writeJSON(s.path, d); err != nil {
		return sub, fmt.Errorf("digest: write subscriptions: %w", err)
	}
	return sub, nil
}

// Remove unsubscribes a channel and reports whether it was subscribed.
func (s *Subscriptions) Remove(t Target) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.load()
	if err != nil {
		return false, err
	}
	out := d.Subscriptions[:0:0]
	for _, o := range d.Subscriptions {
		if o.Target() != t {
			out = append(out, o)
		}
	}
	if len(out) == len(d.Subscriptions) {
		return false, nil
	}
	d.Subscriptions = out
	if err := writeJSON(s.path, d); err != nil {
		return true, fmt.Errorf("digest: write subscriptions: %w", err)
	}
	return true, nil
}
