// Package digesttest provides a digest.Commands for the adapters' tests of
// their digest commands, with no store, ledger or schedule behind it.
package digesttest

import (
	"context"
	"sync"
	"time"

	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/retrieval"
)

// Commands is a digest.Commands that previews Digest, normalizes and
// records subscriptions (refusing what digest.Service refuses: a bad time
// or zone), and refuses to unsubscribe the channel Fixed, as a schedule
// set in the configuration is refused. It is safe for
// concurrent use.
type Commands struct {
	// Digest is what Preview returns.
	Digest digest.Digest
	// Fixed is a channel whose digest is set in the configuration.
	Fixed string

	mu   sync.Mutex
	subs []digest.Subscription
}

var _ digest.Commands = (*Commands)(nil)

// Preview returns c.Digest.
func (c *Commands) Preview(context.Context, digest.Target) (digest.Digest, error) {
	return c.Digest, nil
}

// Subscribe normalizes sub and records it.
func (c *Commands) Subscribe(_ context.Context, sub digest.Subscription) (digest.Subscription, error) {
	sub, err := sub.Normalize()
	if err != nil {
		return sub, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs = append(c.subs, sub)
	return sub, nil
}

// Unsubscribe reports a removal once anything was subscribed; it refuses
// the channel Fixed.
func (c *Commands) Unsubscribe(_ context.Context, t digest.Target) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Fixed != "" && t.Channel == c.Fixed {
		return false, digest.BadSubscription("set in the configuration")
	}
	return len(c.subs) > 0, nil
}

// Subscriptions returns the subscriptions recorded, in order.
func (c *Commands) Subscriptions() []digest.Subscription {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]digest.Subscription(nil), c.subs...)
}

// Hostile is the platform-specific text of Sample: what a headline, a
// sentence and a title hold to try to ping people or break markup.
type Hostile struct {
	Headline, Sentence, Title string
}

// Sample is a digest for rendering tests: a new story with linked
// citations (its headline, its second sentence and its first citation's
// title from h), and a follow-up whose article has no URL.
func Sample(h Hostile) digest.Digest {
	return digest.Digest{
		Date: "2025-12-06", Window: digest.Window{Last: 24 * time.Hour}, Timezone: "Europe/Kyiv", Articles: 4,
		Stories: []digest.Story{
			{
				Headline: h.Headline, New: true, Sources: 3,
				Sentences: []digest.Sentence{
					{Text: "Russia fired 653 drones and 51 missiles overnight, Ukraine's air force said.",
						Article: retrieval.ArticleMeta{ID: "001.txt", Title: h.Title, Source: "Kyiv Post", URL: "https://example.com/a?x=1&y=2", Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)}},
					{Text: h.Sentence,
						Article: retrieval.ArticleMeta{ID: "003.txt", Title: "Talks in Miami", URL: "https://example.com/b"}},
				},
			},
			{
				Headline: "Energy grid under strain", New: false, Sources: 1,
				Sentences: []digest.Sentence{
					{Text: "Power cuts were scheduled in eight regions.",
						Article: retrieval.ArticleMeta{ID: "002_8c35.txt", Title: "Grid update", Source: "Ukrinform", Published: time.Date(2025, 12, 5, 0, 0, 0, 0, time.UTC)}},
				},
			},
		},
	}
}
