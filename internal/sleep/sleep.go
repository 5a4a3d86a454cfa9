// Package sleep is a context-aware sleep, for the retry and backoff loops
// of the adapters, the cluster state and the corpus follower.
package sleep

import (
	"context"
	"time"
)

// For waits d or until ctx is done, reporting whether d elapsed.
func For(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
