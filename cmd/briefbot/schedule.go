package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
)

// newDigestService builds the digest service from the configuration: the
// configured schedules (BRIEFBOT_DIGEST_*, digests:), what an empty
// window does, and the stores: the data directory's files, or the
// cluster's shared ledger and subscriptions when state is not nil.
func newDigestService(cfg Config, search bot.Searcher, logger *slog.Logger, state *clusterState) (*digest.Service, error) {
	sc := digest.ServiceConfig{Searcher: search, Dir: cfg.Data, Logger: logger}
	switch cfg.DigestEmpty {
	case "", "post":
	case "skip":
		sc.SkipEmpty = true
	default:
		return nil, fmt.Errorf("config: BRIEFBOT_DIGEST_EMPTY must be post or skip, not %q", cfg.DigestEmpty)
	}
	for _, d := range cfg.Digests {
		sc.Schedules = append(sc.Schedules, digest.Subscription{
			Platform: d.Platform, Channel: d.Channel, At: d.At, Timezone: d.Timezone, Window: d.Window,
		})
	}
	if state != nil {
		sc.Ledger, sc.Subscriptions = state.ledger, state.subs
	}
	return digest.NewService(sc)
}

// unservedDigests stands in for the digest service where commands are
// only registered (`briefbot discord register`), never served.
type unservedDigests struct{}

var _ digest.Commands = unservedDigests{}

var errUnserved = errors.New("digests are served by briefbot serve")

func (unservedDigests) Preview(context.Context, digest.Target) (digest.Digest, error) {
	return digest.Digest{}, errUnserved
}

func (unservedDigests) Subscribe(_ context.Context, sub digest.Subscription) (digest.Subscription, error) {
	return sub, errUnserved
}

func (unservedDigests) Unsubscribe(context.Context, digest.Target) (bool, error) {
	return false, errUnserved
}
