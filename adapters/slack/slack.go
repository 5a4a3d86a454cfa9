// Package slack serves briefbot in Slack with slack-go: @mentions answered
// in their thread, direct messages answered in the DM, the /brief slash
// command, Block Kit answers with 👍/👎 buttons, and PostBlocks for digests.
//
// Events arrive over Socket Mode ([Adapter.Run], when an app token is set)
// or at HTTP routes on the serve HTTP server ([Adapter.Routes], when a
// signing secret is set), or both. Either way the adapter acknowledges at
// once, answers on its own bounded pool of goroutines, deduplicates
// deliveries by event_id and by message (a persisted [bot.Deduper]), and
// retries Web API calls on 429 (after Retry-After), 5xx and connection
// errors. It never logs tokens, secrets or message text.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/adapters/internal/httpx"
	"github.com/briefbot/briefbot/adapters/internal/work"
	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/httpapi"
)

// DefaultAPIURL is Slack's Web API base URL; Options.APIURL overrides it.
const DefaultAPIURL = "https://slack.com/api/"

// Routes mounted by Adapter.Routes when a signing secret is set.
const (
	// EventsPath takes Events API deliveries (and url_verification).
	EventsPath = "/slack/events"
	// CommandsPath takes the /brief slash command.
	CommandsPath = "/slack/commands"
	// InteractionsPath takes button clicks (the votes).
	InteractionsPath = "/slack/interactions"
)

// Defaults for the Options knobs.
const (
	// DefaultDedupeTTL is how long a delivery is remembered: Slack retries
	// an event three times within about five minutes.
	DefaultDedupeTTL = 15 * time.Minute
	// DefaultCommandWait is how long a slash command waits for its answer
	// before acknowledging and delivering it through response_url; Slack
	// wants a response within 3 s.
	DefaultCommandWait = 2 * time.Second
	// DefaultAnswerTimeout bounds answering and delivering one question.
	DefaultAnswerTimeout = 2 * time.Minute
	// DefaultDrainTimeout bounds how long Run waits for answers in flight
	// when its context ends; cancelling the rest takes at most a second
	// more, so Run returns within 9 s (serve's budget is 10 s).
	DefaultDrainTimeout = 8 * time.Second
	// DefaultConcurrency is how many questions are answered at once.
	DefaultConcurrency = 4
	// DefaultMaxPending is how many questions may wait for an answer; more
	// are refused (logged and counted as failed deliveries).
	DefaultMaxPending = 256
)

// MaxClockSkew is how far a signed request's timestamp may be from now;
// older (replayed) or future requests get 401.
const MaxClockSkew = httpx.MaxClockSkew

// Errors from New.
var (
	// ErrNoToken reports a missing Options.BotToken.
	ErrNoToken = fmt.Errorf("slack: %w (xoxb-…)", httpx.ErrNoToken)
	// ErrNoBot reports a missing Options.Bot.
	ErrNoBot = errors.New("slack: a bot is required")
	// ErrNoTransport reports neither an app token nor a signing secret:
	// the adapter would receive nothing.
	ErrNoTransport = errors.New("slack: an app token (Socket Mode) or a signing secret (HTTP) is required")
	// ErrBadAPIURL reports an Options.APIURL that is not an absolute
	// http(s) URL.
	ErrBadAPIURL = fmt.Errorf("slack: %w", httpx.ErrBadAPIURL)
)

// Options configures an Adapter. BotToken, Bot and one of AppToken or
// SigningSecret are required.
type Options struct {
	// BotToken (SLACK_BOT_TOKEN, xoxb-) authenticates Web API calls.
	BotToken string
	// AppToken (SLACK_APP_TOKEN, xapp-) selects Socket Mode: Run opens
	// and keeps a Socket Mode connection.
	AppToken string
	// SigningSecret (SLACK_SIGNING_SECRET) enables the HTTP routes
	// POST /slack/events, /slack/commands and /slack/interactions.
	SigningSecret string
	// APIURL (SLACK_API_URL) is the Web API base URL; empty means
	// DefaultAPIURL.
	APIURL string

	// Bot answers questions.
	Bot *bot.Bot
	// Dedupe remembers deliveries; use one persisted in the data directory
	// (bot.OpenDeduper(dir, DefaultDedupeTTL, nil)) so that a restart does
	// not answer twice. Nil means an in-memory deduper. The adapter does
	// not close it.
	Dedupe bot.Dedupe
	// Votes records 👍/👎; nil means answers carry no vote buttons.
	Votes bot.VoteRecorder
	// Digests serves /brief digest, subscribe and unsubscribe; nil means
	// those subcommands say that digests are not set up.
	Digests digest.Commands
	// Conversations remembers each thread (and DM) the bot answered in, so
	// that a follow-up is read with the questions before it; nil means
	// every question is read alone.
	Conversations bot.ConversationStore
	// Channels holds per-channel settings (how the channel is answered,
	// private slash-command answers), changed with /brief settings; nil
	// means every channel has the defaults.
	Channels *bot.Channels
	// DefaultAnswer is how a channel without a setting is answered:
	// bot.AnswerThreads (the default: mentions, and replies in threads the
	// bot answered in, which needs the message.channels and message.groups
	// events) or bot.AnswerMentions.
	DefaultAnswer string
	// Admins are the user ids who may change channel settings, besides
	// the workspace's admins and owners (users.info, scope users:read).
	Admins []string
	// Observer counts deduplicated deliveries, rate-limit waits and failed
	// deliveries; nil means none.
	Observer bot.Observer
	// Logger logs outcomes, never tokens or message text; nil discards.
	Logger *slog.Logger
	// Now is the clock (signature freshness, vote times); nil means time.Now.
	Now func() time.Time
	// Ready, when not nil, is closed once Bot can answer (serve's store
	// has loaded): event answers wait for it (within the answer timeout)
	// instead of answering that the search failed.
	Ready <-chan struct{}
	// HTTPClient makes Web API and response_url calls; nil means a client
	// with sensible timeouts. Its Transport (or http.DefaultTransport) is
	// wrapped with the retry policy, not replaced.
	HTTPClient *http.Client

	// CommandWait is how long a slash command waits for its answer before
	// acknowledging; 0 means DefaultCommandWait.
	CommandWait time.Duration
	// AnswerTimeout bounds one answer; 0 means DefaultAnswerTimeout.
	AnswerTimeout time.Duration
	// DrainTimeout bounds the wait for answers in flight at shutdown; 0
	// means DefaultDrainTimeout.
	DrainTimeout time.Duration
	// Concurrency is how many questions are answered at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// MaxRateWait bounds one wait on a 429; 0 means DefaultMaxRateWait.
	MaxRateWait time.Duration
}

// Adapter serves briefbot in Slack. It implements bot.Adapter.
type Adapter struct {
	api      *slack.Client
	hc       *http.Client // retrying; for response_url
	apiURL   string
	socket   bool
	secret   []byte
	bot      *bot.Bot
	dedupe   bot.Dedupe
	votes    bot.VoteRecorder
	digests  digest.Commands
	obs      bot.Observer
	log      *slog.Logger
	sdkLog   *log.Logger
	now      func() time.Time
	retry    *httpx.Retry
	cmdWait  time.Duration
	ansLimit time.Duration
	drain    time.Duration
	ready    <-chan struct{}
	// bodyTimeout bounds reading an HTTP request's body.
	bodyTimeout time.Duration

	selfMu        sync.Mutex
	convs         bot.ConversationStore
	channels      *bot.Channels
	defaultAnswer string
	admins        map[string]bool
	// scopeWarning says once that reactions:write is missing.
	scopeWarning sync.Once
	selfUID      string // the bot's user id, from auth.test
	selfBID      string // the bot's bot id, from auth.test

	pool *work.Pool
}

var _ bot.Adapter = (*Adapter)(nil)

// New returns an Adapter. It does no I/O: Run calls auth.test and, in
// Socket Mode, connects; the HTTP routes work as soon as they are mounted.
func New(opts Options) (*Adapter, error) {
	switch {
	case opts.BotToken == "":
		return nil, ErrNoToken
	case opts.Bot == nil:
		return nil, ErrNoBot
	case opts.AppToken == "" && opts.SigningSecret == "":
		return nil, ErrNoTransport
	}
	return newAdapter(opts)
}

// Poster is a post-only Slack client (`briefbot digest --post`): it
// posts blocks and digests with the bot token and the adapter's retry
// policy, and needs no Bot, Socket Mode, routes or Run. It is a
// digest.AdapterPoster.
type Poster struct{ a *Adapter }

var _ digest.AdapterPoster = (*Poster)(nil)

// NewPoster returns a post-only client. Of opts it reads only BotToken,
// APIURL, HTTPClient, Observer, Logger and the REST bounds. It does no I/O.
func NewPoster(opts Options) (*Poster, error) {
	if opts.BotToken == "" {
		return nil, ErrNoToken
	}
	a, err := newAdapter(Options{BotToken: opts.BotToken, APIURL: opts.APIURL, HTTPClient: opts.HTTPClient,
		Observer: opts.Observer, Logger: opts.Logger, MaxRateWait: opts.MaxRateWait})
	if err != nil {
		return nil, err
	}
	return &Poster{a: a}, nil
}

// PostBlocks is Adapter.PostBlocks.
func (p *Poster) PostBlocks(ctx context.Context, channel, text string, blocks []slack.Block) (string, error) {
	return p.a.PostBlocks(ctx, channel, text, blocks)
}

// PostDigestID is Adapter.PostDigestID.
func (p *Poster) PostDigestID(ctx context.Context, channel string, d digest.Digest) (string, error) {
	return p.a.PostDigestID(ctx, channel, d)
}

// newAdapter builds the adapter of opts, whose requirements the caller
// checked (New: an answering adapter; NewPoster: a post-only client).
func newAdapter(opts Options) (*Adapter, error) {
	apiURL := opts.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if httpx.CheckAPIURL(apiURL) != nil {
		return nil, ErrBadAPIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/" // slack-go appends the method name
	}
	a := &Adapter{
		apiURL:        apiURL,
		socket:        opts.AppToken != "",
		secret:        []byte(opts.SigningSecret),
		bot:           opts.Bot,
		dedupe:        opts.Dedupe,
		votes:         opts.Votes,
		digests:       opts.Digests,
		convs:         opts.Conversations,
		channels:      opts.Channels,
		defaultAnswer: opts.DefaultAnswer,
		admins:        map[string]bool{},
		obs:           opts.Observer,
		log:           opts.Logger,
		now:           opts.Now,
		cmdWait:       orDuration(opts.CommandWait, DefaultCommandWait),
		ansLimit:      orDuration(opts.AnswerTimeout, DefaultAnswerTimeout),
		drain:         orDuration(opts.DrainTimeout, DefaultDrainTimeout),
		ready:         opts.Ready,

		bodyTimeout: defaultBodyTimeout,
	}
	for _, id := range opts.Admins {
		a.admins[id] = true
	}
	if a.obs == nil {
		a.obs = bot.NopObserver{}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.dedupe == nil {
		d, err := bot.OpenDeduper("", DefaultDedupeTTL, a.now)
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		a.dedupe = d
	}
	// slack-go only logs in debug mode, which stays off (it would log
	// payloads); route it to slog at debug level all the same.
	a.sdkLog = slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)

	base := opts.HTTPClient
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = 30 * time.Second
		base = &http.Client{Transport: t}
	}
	hc := *base
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	a.retry = newRetry(&bearerTransport{base: rt, apiURL: apiURL}, orDuration(opts.MaxRateWait, DefaultMaxRateWait), a.obs, a.log)
	hc.Transport = a.retry
	a.hc = &hc

	sopts := []slack.Option{slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(a.hc), slack.OptionLog(a.sdkLog)}
	if opts.AppToken != "" {
		sopts = append(sopts, slack.OptionAppLevelToken(opts.AppToken))
	}
	a.api = slack.New(opts.BotToken, sopts...)

	concurrency := opts.Concurrency
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	a.pool = work.New(concurrency, DefaultMaxPending, func(p any) {
		a.log.Error("slack answer panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	})
	return a, nil
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Name implements bot.Adapter.
func (a *Adapter) Name() string { return bot.PlatformSlack }

var _ httpapi.Mounter = (*Adapter)(nil)

// Routes mounts POST /slack/events, /slack/commands and /slack/interactions
// on mux when a signing secret is set; otherwise it mounts nothing.
func (a *Adapter) Routes(mux *http.ServeMux) {
	if len(a.secret) == 0 {
		return
	}
	mux.HandleFunc("POST "+EventsPath, a.recovered(a.handleEvents))
	mux.HandleFunc("POST "+CommandsPath, a.recovered(a.handleCommands))
	mux.HandleFunc("POST "+InteractionsPath, a.recovered(a.handleInteractions))
}

// Run learns the bot's identity with auth.test, keeps a Socket Mode
// connection when an app token is set (reconnecting when Slack asks), and
// blocks until ctx is done. At start it answers the questions a previous
// run accepted and never answered (their claims in the dedupe log). When
// ctx is done it stops taking new work, waits for the answers in flight
// (up to the drain timeout), cancels the rest (each logged and counted as
// dropped, its claim left for Slack's retry or the next start) and
// returns nil. It returns an error when the token is refused.
func (a *Adapter) Run(ctx context.Context) error {
	defer func() {
		if _, ok := a.pool.Drain(a.drain, work.DefaultCancelWait); !ok {
			a.log.Error("slack answers did not return after cancellation")
		}
	}()
	if _, _, err := a.self(ctx); err != nil {
		if isAuthError(err) {
			return fmt.Errorf("slack: auth.test: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		// Slack or the network is down for now: the answering path asks
		// again, so HTTP mode keeps working once Slack is back.
		a.log.WarnContext(ctx, "slack auth.test failed; will retry on the first event", "err", err)
	}
	a.redeliver(ctx)
	if a.socket {
		return a.runSocket(ctx)
	}
	<-ctx.Done()
	return nil
}

// isAuthError reports a Web API error that retrying cannot fix.
func isAuthError(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type":
			return true
		}
	}
	return false
}

// self returns the bot's user id and bot id, calling auth.test the first
// time (and again after a failure).
func (a *Adapter) self(ctx context.Context) (userID, botID string, err error) {
	a.selfMu.Lock()
	defer a.selfMu.Unlock()
	if a.selfUID != "" {
		return a.selfUID, a.selfBID, nil
	}
	res, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return "", "", err
	}
	a.selfUID, a.selfBID = res.UserID, res.BotID
	a.log.InfoContext(ctx, "slack identity", "user_id", res.UserID, "bot_id", res.BotID, "team_id", res.TeamID)
	return a.selfUID, a.selfBID, nil
}

// knownSelf returns the bot's user id if auth.test has answered, without
// I/O.
func (a *Adapter) knownSelf() string {
	a.selfMu.Lock()
	defer a.selfMu.Unlock()
	return a.selfUID
}

// PostBlocks posts a message (blocks with its plain-text fallback, both
// already escaped, e.g. from RenderAnswer or EscapeText) to channel and
// returns its ts. It retries like every answer; a final failure is logged
// and counted as a failed delivery.
func (a *Adapter) PostBlocks(ctx context.Context, channel, text string, blocks []slack.Block) (string, error) {
	return a.post(ctx, channel, "", Message{Text: text, Blocks: blocks})
}

// post sends m to channel (in the thread threadTS when set), logging and
// counting a failure.
func (a *Adapter) post(ctx context.Context, channel, threadTS string, m Message) (string, error) {
	ts, err := a.postMessage(ctx, channel, threadTS, m)
	if err != nil {
		a.failed(ctx, "chat.postMessage", channel, err)
	}
	return ts, err
}

// postMessage sends m to channel (in the thread threadTS when set) and
// returns its ts once Slack confirmed it (chat.postMessage ok).
func (a *Adapter) postMessage(ctx context.Context, channel, threadTS string, m Message) (string, error) {
	opts := []slack.MsgOption{
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", fmt.Errorf("slack: post to %s: %w", channel, err)
	}
	return ts, nil
}

// mode is how channel is answered.
func (a *Adapter) mode(channel string) string {
	def := a.defaultAnswer
	if def == "" {
		def = bot.AnswerThreads
	}
	return a.channels.Get(bot.PlatformSlack, channel).Mode(def)
}

// WorkingReaction is the reaction put on a question while it is answered.
const WorkingReaction = "eyes"

// reactTimeout bounds one reactions call.
const reactTimeout = 5 * time.Second

// react adds (method "reactions.add") or removes ("reactions.remove") the
// working reaction on q's message, and reports whether that worked. It is
// a courtesy: a failure (the app lacks the reactions:write scope, Slack is
// slow) is logged, warned about once for a missing scope, and never delays
// or stops the answer beyond a short timeout.
func (a *Adapter) react(ctx context.Context, method string, q question) bool {
	if q.ts == "" || q.channel == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, reactTimeout)
	defer cancel()
	item := slack.NewRefToMessage(q.channel, q.ts)
	var err error
	if method == "reactions.add" {
		err = a.api.AddReactionContext(ctx, WorkingReaction, item)
	} else {
		err = a.api.RemoveReactionContext(ctx, WorkingReaction, item)
	}
	switch {
	case err == nil:
		return true
	case method == "reactions.add" && strings.Contains(err.Error(), "already_reacted"):
		return true // a previous run's reaction: this run takes it off
	case strings.Contains(err.Error(), "missing_scope"):
		a.scopeWarning.Do(func() {
			a.log.WarnContext(ctx, "slack: the app lacks the reactions:write scope, so questions get no 👀 while they are answered; add it (see adapters/slack/manifest.yaml) and reinstall")
		})
	default:
		a.log.DebugContext(ctx, "slack reaction failed", "method", method, "channel", q.channel, "err", err)
	}
	return false
}

// failed logs and counts a delivery that retries could not save.
func (a *Adapter) failed(ctx context.Context, method, channel string, err error) {
	a.obs.DeliveryFailed(bot.PlatformSlack)
	a.log.ErrorContext(ctx, "slack delivery failed", "method", method, "channel", channel, "err", err)
}
