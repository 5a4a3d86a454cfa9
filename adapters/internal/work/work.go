// Package work is the bounded worker pool the chat adapters run their
// answers on: work that outlives the platform request that started it
// (Slack and Discord want an acknowledgement within 3 s), drained at
// shutdown within a budget and then cancelled.
package work

import (
	"context"
	"sync"
	"time"
)

// DefaultCancelWait bounds the wait, after a drain ran out of time and the
// rest was cancelled, for the cancelled work to return.
const DefaultCancelWait = time.Second

// Pool owns every goroutine an adapter starts after acknowledging its
// platform: Go runs work on at most slots goroutines at once with at most
// maxPending waiting, Begin tracks work that runs on the caller's
// goroutine, and Drain stops new work, waits for what is in flight, then
// cancels the rest.
type Pool struct {
	// life is the context of all work. It is the adapter's lifetime, not a
	// request's (requests end when the platform has its acknowledgement),
	// and is cancelled only by Drain.
	life   context.Context
	cancel context.CancelFunc
	slots  chan struct{}

	mu         sync.Mutex
	stopping   bool
	pending    int
	maxPending int
	running    map[string]int // keys of the work begun with Begin, in flight
	wg         sync.WaitGroup

	onPanic func(p any)
}

// New returns a pool running at most slots goroutines at once through Go,
// with at most maxPending accepted and not finished. onPanic, when not
// nil, logs a panic recovered in a goroutine of the pool (which then ends).
func New(slots, maxPending int, onPanic func(p any)) *Pool {
	p := &Pool{slots: make(chan struct{}, max(slots, 1)), maxPending: maxPending, running: map[string]int{}, onPanic: onPanic}
	p.life, p.cancel = context.WithCancel(context.Background())
	return p
}

// Context is the context of the pool's work: it ends when Drain gives up
// waiting.
func (p *Pool) Context() context.Context { return p.life }

// admit reserves a place for one more piece of work; it fails once
// shutdown has begun or, when bounded, when too many wait.
func (p *Pool) admit(bounded bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping || (bounded && p.pending >= p.maxPending) {
		return false
	}
	if bounded {
		p.pending++
	}
	p.wg.Add(1)
	return true
}

// Go runs fn on the pool (waiting for a free slot) and reports whether it
// was accepted. An accepted fn that never gets a slot because Drain
// cancelled it calls dropped instead (when not nil), so that no accepted
// work goes without a trace.
func (p *Pool) Go(fn func(ctx context.Context), dropped func()) bool {
	if !p.admit(true) {
		return false
	}
	go func() {
		defer p.wg.Done()
		defer func() {
			p.mu.Lock()
			p.pending--
			p.mu.Unlock()
		}()
		select {
		case p.slots <- struct{}{}:
		case <-p.life.Done():
			if dropped != nil {
				dropped()
			}
			return
		}
		defer func() { <-p.slots }()
		defer p.recover()
		if p.life.Err() != nil { // both were ready: do not start work that cannot finish
			if dropped != nil {
				dropped()
			}
			return
		}
		fn(p.life)
	}()
	return true
}

// Track runs fn outside the slots (it must only wait, e.g. for an answer
// computed on the pool) but still under Drain.
func (p *Pool) Track(fn func(ctx context.Context)) bool {
	if !p.admit(false) {
		return false
	}
	go func() {
		defer p.wg.Done()
		defer p.recover()
		fn(p.life)
	}()
	return true
}

// Begin registers work the caller runs itself, named by key (an
// interaction id) for the log of what Drain abandons; it reports false
// once shutdown has begun. The caller calls end when the work returns.
func (p *Pool) Begin(key string) (end func(), ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return nil, false
	}
	p.wg.Add(1)
	p.running[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			if p.running[key]--; p.running[key] <= 0 {
				delete(p.running, key)
			}
			p.mu.Unlock()
			p.wg.Done()
		})
	}, true
}

// recover keeps a panic in the pool's work from crashing the process.
func (p *Pool) recover() {
	if r := recover(); r != nil && p.onPanic != nil {
		p.onPanic(r)
	}
}

// Stop refuses new work from now on; work in flight goes on.
func (p *Pool) Stop() {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
}

// Stopped reports whether shutdown has begun.
func (p *Pool) Stopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}

// Drain refuses new work, waits up to grace for the work in flight, then
// cancels what is left and waits up to after for it to return. abandoned
// are the keys (see Begin) still running when grace ran out, one per
// piece of work; returned reports whether everything returned.
func (p *Pool) Drain(grace, after time.Duration) (abandoned []string, returned bool) {
	p.Stop()
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(max(grace, 0))
	defer t.Stop()
	select {
	case <-done:
		p.cancel()
		return nil, true
	case <-t.C:
	}
	p.mu.Lock()
	for key, n := range p.running {
		for range n {
			abandoned = append(abandoned, key)
		}
	}
	p.mu.Unlock()
	p.cancel()
	if after <= 0 {
		select {
		case <-done:
			return abandoned, true
		default:
			return abandoned, false
		}
	}
	t2 := time.NewTimer(after)
	defer t2.Stop()
	select {
	case <-done:
		return abandoned, true
	case <-t2.C:
		return abandoned, false
	}
}
