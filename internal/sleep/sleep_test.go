package sleep

import (
	"context"
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if !For(ctx, time.Millisecond) {
		t.Error("For ended early")
	}
	cancel()
	if For(ctx, time.Hour) {
		t.Error("For outlived its context")
	}
}
