package slack

import (
	"context"
	"sync"
	"time"
)

// cancelWait bounds the wait, after a drain ran out of time and the rest
// was cancelled, for the cancelled answers to return.
const cancelWait = time.Second

// work owns every goroutine the adapter starts after acknowledging Slack:
// answers run on at most `slots` goroutines at once, at most `maxPending`
// wait, and shutdown stops new work, drains, then cancels the rest.
type work struct {
	// life is the context of all answers. It is the adapter's lifetime,
	// not a request's (requests end when Slack has its acknowledgement),
	// and is cancelled only when a drain runs out of time.
	life   context.Context
	cancel context.CancelFunc
	slots  chan struct{}

	mu         sync.Mutex
	stopping   bool
	pending    int
	maxPending int
	wg         sync.WaitGroup

	// onPanic logs a panic recovered in a goroutine of the pool.
	onPanic func(p any)
}

func (w *work) init(slots, maxPending int) {
	w.life, w.cancel = context.WithCancel(context.Background())
	w.slots = make(chan struct{}, slots)
	w.maxPending = maxPending
}

// admit reserves a place for one more goroutine; it fails once shutdown
// has begun or, when bounded, when too many answers wait.
func (w *work) admit(bounded bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopping || (bounded && w.pending >= w.maxPending) {
		return false
	}
	if bounded {
		w.pending++
	}
	w.wg.Add(1)
	return true
}

// spawn runs fn on the pool (waiting for a free slot) and reports whether
// it was accepted. An accepted fn that never gets a slot because shutdown
// cancelled it calls dropped instead (when not nil), so that no accepted
// answer goes without a trace.
func (w *work) spawn(fn func(ctx context.Context), dropped func()) bool {
	if !w.admit(true) {
		return false
	}
	go func() {
		defer w.wg.Done()
		defer func() {
			w.mu.Lock()
			w.pending--
			w.mu.Unlock()
		}()
		select {
		case w.slots <- struct{}{}:
		case <-w.life.Done():
			if dropped != nil {
				dropped()
			}
			return
		}
		defer func() { <-w.slots }()
		defer w.recover()
		if w.life.Err() != nil { // both were ready: do not start an answer that cannot finish
			if dropped != nil {
				dropped()
			}
			return
		}
		fn(w.life)
	}()
	return true
}

// goTracked runs fn outside the slots (it must only wait, e.g. for an
// answer computed on the pool) but still under shutdown's drain.
func (w *work) goTracked(fn func(ctx context.Context)) bool {
	if !w.admit(false) {
		return false
	}
	go func() {
		defer w.wg.Done()
		defer w.recover()
		fn(w.life)
	}()
	return true
}

// recover keeps a panic in an answer from crashing the process: it is
// logged (onPanic) and the goroutine ends.
func (w *work) recover() {
	if p := recover(); p != nil && w.onPanic != nil {
		w.onPanic(p)
	}
}

// stopped reports whether shutdown has begun.
func (w *work) stopped() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopping
}

// shutdown refuses new work, waits up to grace for the work in flight,
// then cancels what is left and waits (at most cancelWait) for it to
// return. It reports whether everything returned.
func (w *work) shutdown(grace time.Duration) bool {
	w.mu.Lock()
	w.stopping = true
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		w.cancel()
		return true
	case <-t.C:
	}
	w.cancel()
	t2 := time.NewTimer(cancelWait)
	defer t2.Stop()
	select {
	case <-done:
		return true
	case <-t2.C:
		return false
	}
}
