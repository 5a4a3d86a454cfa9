package bot

import "context"

// Adapter is a chat platform runtime that `briefbot serve` runs. It is
// what every adapter has; what only some have is an optional interface
// that serve probes for (as database/sql probes a driver): HTTP routes
// (httpapi.Mounter) and digest posting (digest.AdapterPoster).
type Adapter interface {
	// Name is the platform name (PlatformSlack, PlatformDiscord).
	Name() string
	// Run blocks until ctx is done, then finishes answers in flight (bounded)
	// and closes its connections. It returns nil on a clean shutdown. An
	// adapter with only HTTP routes returns when ctx is done.
	Run(ctx context.Context) error
}
