package bot

import "time"

// Outcomes of a question, for metrics.
const (
	OutcomeAnswered = "answered"
	OutcomeNotFound = "not_found"
	OutcomeError    = "error"
)

// Observer receives the events serve turns into metrics. Adapters and the
// bot call it; a nil Observer is replaced by NopObserver.
type Observer interface {
	// Question records one question answered on platform with outcome.
	Question(platform, outcome string, latency time.Duration)
	// Deduplicated records a delivery dropped as a duplicate (Slack retries,
	// the app_mention/message twin, Socket Mode redeliveries).
	Deduplicated(platform string)
	// RateLimited records a wait imposed by the platform (429 Retry-After).
	RateLimited(platform string, wait time.Duration)
	// DeliveryFailed records a message that could not be delivered after retries.
	DeliveryFailed(platform string)
}

// NopObserver discards every event.
type NopObserver struct{}

// Question implements Observer.
func (NopObserver) Question(string, string, time.Duration) {}

// Deduplicated implements Observer.
func (NopObserver) Deduplicated(string) {}

// RateLimited implements Observer.
func (NopObserver) RateLimited(string, time.Duration) {}

// DeliveryFailed implements Observer.
func (NopObserver) DeliveryFailed(string) {}

var _ Observer = NopObserver{}

// DropObserver is an Observer that also counts answers that were accepted
// but not delivered because shutdown's budget ran out (they are left to a
// retry or the next start). Adapters probe their Observer for it.
type DropObserver interface {
	// AnswerDropped records one answer not delivered at shutdown.
	AnswerDropped(platform string)
}

// ObserveDropped reports a dropped answer to obs when it counts them.
func ObserveDropped(obs Observer, platform string) {
	if d, ok := obs.(DropObserver); ok {
		d.AnswerDropped(platform)
	}
}
