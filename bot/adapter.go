package bot

import (
	"context"
	"net/http"
)

// Adapter is a chat platform runtime that `briefbot serve` runs: it may mount
// HTTP routes on the serve HTTP server and may run a long-lived connection
// (Slack Socket Mode, the Discord gateway).
type Adapter interface {
	// Name is the platform name (PlatformSlack, PlatformDiscord).
	Name() string
	// Routes mounts the adapter's HTTP endpoints, if any, on mux.
	Routes(mux *http.ServeMux)
	// Run blocks until ctx is done, then finishes answers in flight (bounded)
	// and closes its connections. It returns nil on a clean shutdown. An
	// adapter with only HTTP routes returns when ctx is done.
	Run(ctx context.Context) error
}
