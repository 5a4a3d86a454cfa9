package digest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// TestSubscriptionFailureLoggedWithCause: a subscription that cannot be
// saved is logged with why (and never with a message body).
func TestSubscriptionFailureLoggedWithCause(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	s, err := NewService(ServiceConfig{Dir: dir, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// The file becomes unreadable after start: a directory in its place.
	if err := os.Mkdir(filepath.Join(dir, SubscriptionsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subscribe(context.Background(), Subscription{Platform: "slack", Channel: "C1"}); err == nil {
		t.Fatal("Subscribe succeeded without its file")
	}
	out := logs.String()
	if !strings.Contains(out, "digest subscription not saved") || !strings.Contains(out, "is a directory") || !strings.Contains(out, "slack:C1") {
		t.Errorf("the failure was not logged with its cause and target:\n%s", out)
	}
	if _, err := s.Unsubscribe(context.Background(), Target{Platform: "slack", Channel: "C1"}); err == nil {
		t.Fatal("Unsubscribe succeeded without its file")
	}
	if !strings.Contains(logs.String(), "digest unsubscription not saved") {
		t.Errorf("the unsubscribe failure was not logged:\n%s", logs.String())
	}
}

// TestServiceSchedulesPreviewsAndCloses: the service's clock stamps
// subscriptions and drives the schedule and the preview; a configured
// schedule cannot be unsubscribed; a scheduled run is posted once through
// its platform's poster and Close(ctx) stops the schedule.
func TestServiceSchedulesPreviewsAndCloses(t *testing.T) {
	ctx := context.Background()
	e := fixture(t, art("a", "", "Central bank raises rates", rates))
	clock := clockwork.NewFakeClockAt(day.Add(7 * time.Hour))
	dir := t.TempDir()
	s, err := NewService(ServiceConfig{
		Searcher: e, Dir: dir, Clock: clock,
		Schedules: []Subscription{{Platform: "slack", Channel: "C1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewService(ServiceConfig{Dir: t.TempDir(), Schedules: []Subscription{{Platform: "slack", Channel: "C1", Timezone: "Mars/Olympus"}}}); !errors.Is(err, ErrBadSubscription) {
		t.Errorf("a bad configured zone: %v", err)
	}
	got, err := s.Subscribe(ctx, Subscription{Platform: "discord", Channel: "9", At: "07:30"})
	if err != nil || !got.Created.Equal(clock.Now()) || got.Timezone != "UTC" {
		t.Fatalf("subscribe: %+v, %v", got, err)
	}
	if _, err := s.Unsubscribe(ctx, Target{Platform: "slack", Channel: "C1"}); !errors.Is(err, ErrBadSubscription) {
		t.Errorf("unsubscribing a configured schedule: %v", err)
	}
	d, err := s.Preview(ctx, Target{Platform: "slack", Channel: "C1"})
	if err != nil || d.Date != Day(clock.Now(), time.UTC) {
		t.Fatalf("preview: %+v, %v", d, err)
	}
	p := &fakePoster{}
	if err := s.Start(ctx, Posters{"slack": p, "discord": p}); err != nil {
		t.Fatal(err)
	}
	<-s.Started()
	if next, ok := s.NextRun(Target{Platform: "slack", Channel: "C1"}); !ok || !next.Equal(day.Add(8*time.Hour)) {
		t.Fatalf("next run %v %v", next, ok)
	}
	advanceTo(t, clock, 1, day.Add(8*time.Hour))
	advanceTo(t, clock, 1, clock.Now()) // the loop is idle again: the run has finished
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.NextRun(Target{Platform: "slack", Channel: "C1"}); ok {
		t.Error("still scheduled after Close")
	}
	// slack:C1 (configured, so never subscribed) catches up yesterday's
	// run at Start; discord:9 subscribed after yesterday's 07:30 does not.
	want := []string{"9 2025-12-06", "C1 2025-12-05", "C1 2025-12-06"}
	slices.Sort(p.posts)
	if !slices.Equal(p.posts, want) {
		t.Fatalf("posts %v, want %v", p.posts, want)
	}
	if done, err := OpenLedger(dir).Posted("slack:C1", Day(day, time.UTC)); err != nil || !done {
		t.Errorf("ledger: %v %v", done, err)
	}
}
