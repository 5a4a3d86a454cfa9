package work

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestPoolBoundsAndDrains: work beyond the slots waits, beyond maxPending
// is refused; Drain waits for what finishes within grace, names what
// Begin started and did not finish, cancels it, and refuses new work.
func TestPoolBoundsAndDrains(t *testing.T) {
	p := New(1, 2, nil)
	release := make(chan struct{})
	started := make(chan struct{})
	if !p.Go(func(context.Context) { close(started); <-release }, nil) {
		t.Fatal("first work refused")
	}
	<-started
	dropped := make(chan struct{})
	if !p.Go(func(context.Context) { t.Error("ran after it was dropped") }, func() { close(dropped) }) {
		t.Fatal("second work (waiting for the slot) refused")
	}
	if p.Go(func(context.Context) {}, nil) {
		t.Fatal("third work accepted beyond maxPending")
	}
	end, ok := p.Begin("interaction-1")
	if !ok {
		t.Fatal("Begin refused before shutdown")
	}
	tracked := make(chan error, 1)
	if !p.Track(func(ctx context.Context) { <-ctx.Done(); tracked <- ctx.Err() }) {
		t.Fatal("Track refused")
	}
	go func() { <-p.Context().Done(); close(release); end() }()
	abandoned, returned := p.Drain(10*time.Millisecond, 5*time.Second)
	if !returned || !slices.Equal(abandoned, []string{"interaction-1"}) {
		t.Fatalf("Drain: abandoned %v, returned %v", abandoned, returned)
	}
	<-dropped
	if err := <-tracked; err == nil {
		t.Error("tracked work not cancelled")
	}
	if _, ok := p.Begin("late"); ok || p.Go(func(context.Context) {}, nil) || p.Track(func(context.Context) {}) || !p.Stopped() {
		t.Error("work accepted after Drain")
	}
}

// TestPoolRecoversPanics: a panic in the pool's work is reported, and the
// slot is given back.
func TestPoolRecoversPanics(t *testing.T) {
	panicked := make(chan any, 1)
	p := New(1, 4, func(v any) { panicked <- v })
	p.Go(func(context.Context) { panic("boom") }, nil)
	if v := <-panicked; v != "boom" {
		t.Fatalf("recovered %v", v)
	}
	done := make(chan struct{})
	p.Go(func(context.Context) { close(done) }, nil)
	<-done
	if _, returned := p.Drain(5*time.Second, 0); !returned {
		t.Error("not drained")
	}
}
