package digest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/briefbot/briefbot/bot"
)

// Poster posts a digest to a channel of one platform. The Slack and Discord
// adapters implement it.
type Poster interface {
	Post(ctx context.Context, channel string, d Digest) error
}

// PosterFunc adapts a function to a Poster.
type PosterFunc func(ctx context.Context, channel string, d Digest) error

// Post calls f.
func (f PosterFunc) Post(ctx context.Context, channel string, d Digest) error {
	return f(ctx, channel, d)
}

// IDPoster is a Poster that also returns the platform's id of the message
// it posted (a Slack ts), which a [RunClaimer] ledger records.
type IDPoster interface {
	PostID(ctx context.Context, channel string, d Digest) (string, error)
}

// AdapterPoster is the optional interface of a chat adapter (or of its
// post-only client) that posts digests: serve probes its adapters for it,
// as database/sql probes a driver, and PosterOf makes it a Poster. It
// returns the platform's id of the message posted.
type AdapterPoster interface {
	PostDigestID(ctx context.Context, channel string, d Digest) (string, error)
}

// PosterOf is the Poster (and IDPoster) that posts through p.
func PosterOf(p AdapterPoster) Poster { return adapterPoster{p} }

type adapterPoster struct{ p AdapterPoster }

var _ IDPoster = adapterPoster{}

func (a adapterPoster) Post(ctx context.Context, channel string, d Digest) error {
	_, err := a.p.PostDigestID(ctx, channel, d)
	return err
}

func (a adapterPoster) PostID(ctx context.Context, channel string, d Digest) (string, error) {
	return a.p.PostDigestID(ctx, channel, d)
}

// ErrNoPoster reports a platform no poster is configured for.
var ErrNoPoster = errors.New("digest: no poster is configured for this platform")

// ErrBadTarget reports a target that is not platform:channel.
var ErrBadTarget = errors.New("digest: a target is platform:channel, e.g. slack:C0123 or discord:123456")

// Posters maps a platform ("slack", "discord") to its Poster.
type Posters map[string]Poster

// For returns the poster of platform, or an error wrapping ErrNoPoster.
func (ps Posters) For(platform string) (Poster, error) {
	if p, ok := ps[platform]; ok && p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("%w: %q (configure the %s adapter)", ErrNoPoster, platform, platform)
}

// Target is where a digest goes.
type Target struct {
	Platform string
	Channel  string
}

// String is the target as it is written and keyed in the ledger: platform:channel.
func (t Target) String() string { return t.Platform + ":" + t.Channel }

// ParseTarget reads "slack:C1" or "discord:123".
func ParseTarget(s string) (Target, error) {
	p, c, ok := strings.Cut(strings.TrimSpace(s), ":")
	p = strings.ToLower(strings.TrimSpace(p))
	c = strings.TrimSpace(c)
	if !ok || c == "" {
		return Target{}, fmt.Errorf("%w (got %q)", ErrBadTarget, s)
	}
	if !bot.IsChatPlatform(p) {
		return Target{}, fmt.Errorf("%w: unknown platform %q", ErrBadTarget, p)
	}
	return Target{Platform: p, Channel: c}, nil
}

// Outcome says what Deliver did.
type Outcome string

// Deliver outcomes.
const (
	// Posted: the digest was posted and recorded.
	Posted Outcome = "posted"
	// AlreadyPosted: the ledger holds a post for that channel and day.
	AlreadyPosted Outcome = "already-posted"
	// SkippedEmpty: the window was empty and empty digests are skipped.
	SkippedEmpty Outcome = "skipped-empty"
	// HeldElsewhere: another process holds the claim of that channel and
	// day (a shared ledger, see RunClaimer) and posts it.
	HeldElsewhere Outcome = "held-elsewhere"
)

// Delivery is one digest to post.
type Delivery struct {
	Target Target
	// Day keys the ledger (YYYY-MM-DD in the channel's zone); "" means the
	// digest's own date.
	Day string
	// Options build the digest; Previous is filled from the ledger.
	Options Options
	// SkipEmpty posts nothing for an empty window (else one line says so).
	SkipEmpty bool
	// Force posts even if the ledger holds a post for the day.
	Force bool
}

// Deliver builds a digest and posts it through p unless the ledger already
// holds a post for the target and day; after the platform acknowledges the
// post, the ledger records it. If the process dies between the platform's
// acknowledgement and the ledger write, the next run posts the digest again:
// delivery is at least once, and the window for a duplicate is that one
// write.
//
// When l is a [RunClaimer] (several processes share it), the run is
// claimed first and only the claimant builds and posts it; a failure
// releases the claim, and the post is recorded with the platform's message
// id when p is an [IDPoster]. Force skips the claim. This is the one
// place the ledger is checked: the Scheduler and the CLI both deliver
// through it. The ledger is stamped with Options.Now, the caller's clock.
func Deliver(ctx context.Context, s bot.Searcher, l LedgerStore, p Poster, del Delivery) (Outcome, Digest, error) {
	opts := del.Options
	if opts.Now.IsZero() {
		return "", Digest{}, fmt.Errorf("%w: a delivery needs Options.Now (the caller's clock)", ErrBadOptions)
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	day := del.Day
	switch {
	case day != "":
	case !opts.Date.IsZero():
		day = Day(opts.Date, opts.Date.Location())
	default:
		day = Day(opts.Now, loc)
	}
	target := del.Target.String()
	if c, ok := l.(RunClaimer); ok && !del.Force {
		return deliverClaimed(ctx, s, l, c, p, del, opts, target, day)
	}
	done, prev, err := lookUp(l, target, day)
	if err != nil {
		return "", Digest{}, err
	}
	if done && !del.Force {
		return AlreadyPosted, Digest{}, nil
	}
	opts.Previous = prev
	d, err := Build(ctx, s, opts)
	if err != nil {
		return "", d, err
	}
	if d.Empty() && del.SkipEmpty {
		return SkippedEmpty, d, nil
	}
	if err := p.Post(ctx, del.Target.Channel, d); err != nil {
		return "", d, fmt.Errorf("digest: post to %s: %w", target, err)
	}
	if err := l.Record(target, day, opts.Now, d); err != nil {
		return Posted, d, err
	}
	return Posted, d, nil
}

// lookUp reads, for target's run of day, whether the ledger holds it and
// the story signatures of the digest before it: in one read of the file
// for a [Ledger].
func lookUp(l LedgerStore, target, day string) (posted bool, prev []Signature, err error) {
	if fl, ok := l.(*Ledger); ok {
		return fl.lookUp(target, day)
	}
	if posted, err = l.Posted(target, day); err != nil {
		return false, nil, err
	}
	prev, err = l.Previous(target, day)
	return posted, prev, err
}

// buildRun builds the run's digest, with the previous one for the channel
// (its stories are marked as follow-ups).
func buildRun(ctx context.Context, s bot.Searcher, l LedgerStore, opts Options, target, day string) (Digest, error) {
	prev, err := l.Previous(target, day)
	if err != nil {
		return Digest{}, err
	}
	opts.Previous = prev
	return Build(ctx, s, opts)
}

// deliverClaimed is Deliver through a shared ledger: claim, build, post,
// record, or release the claim on any failure.
func deliverClaimed(ctx context.Context, s bot.Searcher, l LedgerStore, c RunClaimer, p Poster, del Delivery, opts Options,
	target, day string) (_ Outcome, _ Digest, err error) {
	ok, err := c.ClaimRun(ctx, target, day)
	if err != nil {
		return "", Digest{}, err
	}
	if !ok {
		if posted, perr := l.Posted(target, day); perr == nil && posted {
			return AlreadyPosted, Digest{}, nil
		}
		return HeldElsewhere, Digest{}, nil
	}
	finished := false
	defer func() {
		if !finished {
			// A fresh context: ctx may be why the run failed.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if rerr := c.ReleaseRun(rctx, target, day); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	d, err := buildRun(ctx, s, l, opts, target, day)
	if err != nil {
		return "", d, err
	}
	if d.Empty() && del.SkipEmpty {
		finished = true
		return SkippedEmpty, d, c.FinishRun(ctx, target, day, opts.Now, d, "", true)
	}
	var id string
	if ip, ok := p.(IDPoster); ok {
		id, err = ip.PostID(ctx, del.Target.Channel, d)
	} else {
		err = p.Post(ctx, del.Target.Channel, d)
	}
	if err != nil {
		return "", d, fmt.Errorf("digest: post to %s: %w", target, err)
	}
	// Posted: the claim is never released now (a retry would post twice);
	// a failed record leaves it to expire as the README's at-least-once
	// window says.
	finished = true
	if err := c.FinishRun(context.WithoutCancel(ctx), target, day, opts.Now, d, id, false); err != nil {
		return Posted, d, err
	}
	return Posted, d, nil
}
