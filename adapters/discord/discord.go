// Package discord serves briefbot in Discord with discordgo: one slash
// command, /brief, whose subcommands are ask, sources and help (plus any
// extra [Command]), answered with one embed per quote and 👍/👎 buttons.
//
// Interactions arrive either at an HTTP endpoint ([Adapter.Routes], when a
// public key is configured) or over a supervised gateway session
// ([Adapter.Run] otherwise). Every REST call goes to the configured API base
// URL with a context timeout and bounded rate-limit waits, and every message
// carries allowed_mentions {"parse": []}.
package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/adapters/internal/httpx"
	"github.com/briefbot/briefbot/adapters/internal/work"
	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/httpapi"
	"github.com/briefbot/briefbot/internal/sleep"
)

// DefaultAPIURL is Discord's REST base URL; Options.APIURL overrides it.
const DefaultAPIURL = "https://discord.com/api/v9"

// InteractionsPath is where Discord posts interactions in HTTP mode.
const InteractionsPath = "/discord/interactions"

// Defaults for the Options durations.
const (
	DefaultDeferAfter    = 1500 * time.Millisecond
	DefaultRESTTimeout   = 10 * time.Second
	DefaultMaxRateWait   = 5 * time.Second
	DefaultAnswerTimeout = 60 * time.Second
	DefaultOpenTimeout   = 15 * time.Second
	// DefaultShutdownTimeout bounds Run's whole shutdown, from its context
	// ending to its return (serve's budget is 10 s).
	DefaultShutdownTimeout = 8 * time.Second
	// DefaultDedupeTTL is how long an interaction id is remembered: longer
	// than the 5 minutes a signed request is accepted for.
	DefaultDedupeTTL = 15 * time.Minute
)

// MaxClockSkew is how far an HTTP interaction's signed timestamp may be from
// now; older (replayed) or future requests get 401.
const MaxClockSkew = httpx.MaxClockSkew

// Errors from New.
var (
	ErrNoToken    = fmt.Errorf("discord: %w", httpx.ErrNoToken)
	ErrNoAppID    = errors.New("discord: an application id is required")
	ErrNoBot      = errors.New("discord: a bot is required")
	ErrBadKey     = errors.New("discord: the public key must be 64 hex characters (an Ed25519 key)")
	ErrBadAPIURL  = fmt.Errorf("discord: %w", httpx.ErrBadAPIURL)
	ErrBadCommand = errors.New("discord: an extra command needs a definition with a name and a handler")
	ErrDupCommand = errors.New("discord: two commands have the same name")
)

// Options configures an Adapter. BotToken, AppID and Bot are required.
type Options struct {
	// BotToken authenticates REST and gateway calls (DISCORD_BOT_TOKEN),
	// with or without the "Bot " prefix.
	BotToken string
	// AppID is the application id (DISCORD_APP_ID).
	AppID string
	// PublicKey is the application's Ed25519 public key in hex
	// (DISCORD_PUBLIC_KEY). When set, interactions are taken at
	// POST /discord/interactions and no gateway session is opened.
	PublicKey string
	// GuildID registers the commands in one guild, instantly, instead of
	// globally (DISCORD_GUILD_ID).
	GuildID string
	// APIURL is the REST base URL (DISCORD_API_URL); empty means
	// DefaultAPIURL. Every REST call, including the gateway lookup, goes there.
	APIURL string

	// Bot answers questions.
	Bot *bot.Bot
	// Votes records 👍/👎; nil means answers carry no vote buttons.
	Votes bot.VoteRecorder
	// Conversations remembers each answer's question so that its "Ask a
	// follow-up" button reads the follow-up with it; nil means answers
	// carry no follow-up button.
	Conversations bot.ConversationStore
	// Channels holds per-channel settings (answering off, private
	// answers), changed with /brief settings; nil means every channel has
	// the defaults.
	Channels *bot.Channels
	// Dedupe remembers the interactions answered (by interaction id), so
	// that a replayed request, which its signature and timestamp alone
	// would accept for 5 minutes, is not handled twice; use one persisted
	// in the data directory so that a restart remembers them too. Nil
	// means an in-memory deduper. The adapter does not close it.
	Dedupe bot.Dedupe
	// Observer counts rate-limit waits and failed deliveries; nil means none.
	Observer bot.Observer
	// Logger logs outcomes, never tokens or message text; nil discards.
	Logger *slog.Logger
	// Now is the clock (signature freshness, vote times); nil means time.Now.
	Now func() time.Time
	// HTTPClient makes REST calls; nil means a client with a 30 s timeout.
	// Its Transport (or http.DefaultTransport) is wrapped, not replaced.
	HTTPClient *http.Client

	// Gateway, when set, runs the gateway connection: it calls run with a
	// context that ends when this process should hold no gateway, as many
	// times as it likes, and returns once ctx has ended. A cluster runs
	// the gateway on its leader only (HTTP interactions on every replica).
	// Nil runs it for the adapter's lifetime.
	Gateway func(ctx context.Context, run func(context.Context))

	// Commands are extra slash commands, registered and served after the
	// built-in ones (DigestCommands, for instance).
	Commands []Command

	// DeferAfter is how long a command may take before its reply is
	// deferred (type 5) and edited in later; 0 means DefaultDeferAfter.
	DeferAfter time.Duration
	// RESTTimeout bounds every REST call; 0 means DefaultRESTTimeout.
	RESTTimeout time.Duration
	// MaxRateWait bounds one wait on a 429 (longer waits fail the call);
	// 0 means DefaultMaxRateWait.
	MaxRateWait time.Duration
	// AnswerTimeout bounds answering one command; 0 means DefaultAnswerTimeout.
	AnswerTimeout time.Duration
	// OpenTimeout bounds opening a gateway session; 0 means DefaultOpenTimeout.
	OpenTimeout time.Duration
	// ShutdownTimeout bounds how long Run waits for answers in flight when
	// its context ends; 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// Adapter serves briefbot in Discord. It implements bot.Adapter.
type Adapter struct {
	token     string
	appID     string
	guildID   string
	publicKey ed25519.PublicKey
	apiBase   string

	bot      *bot.Bot
	votes    bot.VoteRecorder
	convs    bot.ConversationStore
	channels *bot.Channels
	dedupe   bot.Dedupe
	obs      bot.Observer
	log      *slog.Logger
	now      func() time.Time

	gateway func(ctx context.Context, run func(context.Context))

	client *http.Client
	// rest makes REST calls; it is never opened as a gateway session.
	rest *discordgo.Session

	extra    []Command
	handlers map[string]Command

	deferAfter      time.Duration
	restTimeout     time.Duration
	answerTimeout   time.Duration
	openTimeout     time.Duration
	shutdownTimeout time.Duration
	backoffMin      time.Duration
	backoffMax      time.Duration

	recent *recentAnswers

	// pool is the parent of answers that outlive the request that started
	// them (a deferred reply is edited after the HTTP response is written);
	// Run drains it, then cancels what is left.
	pool *work.Pool

	bodyTimeout time.Duration // reading an HTTP interaction's body
}

var _ bot.Adapter = (*Adapter)(nil)

// New returns an Adapter configured by opts. It does no I/O: commands are
// registered and the gateway opened by Run.
func New(opts Options) (*Adapter, error) {
	switch {
	case strings.TrimSpace(opts.BotToken) == "":
		return nil, ErrNoToken
	case opts.AppID == "":
		return nil, ErrNoAppID
	case opts.Bot == nil:
		return nil, ErrNoBot
	}
	return newAdapter(opts)
}

// Poster is a post-only Discord client (`briefbot digest --post`): it
// posts messages and digests over REST with the adapter's timeouts and
// rate-limit waits, and needs no application id, Bot, commands, gateway
// or Run. It is a digest.AdapterPoster.
type Poster struct{ a *Adapter }

var _ digest.AdapterPoster = (*Poster)(nil)

// NewPoster returns a post-only client. Of opts it reads only BotToken,
// APIURL, HTTPClient, Observer, Logger and the REST bounds. It does no I/O.
func NewPoster(opts Options) (*Poster, error) {
	if strings.TrimSpace(opts.BotToken) == "" {
		return nil, ErrNoToken
	}
	a, err := newAdapter(Options{BotToken: opts.BotToken, APIURL: opts.APIURL, HTTPClient: opts.HTTPClient,
		Observer: opts.Observer, Logger: opts.Logger, RESTTimeout: opts.RESTTimeout, MaxRateWait: opts.MaxRateWait})
	if err != nil {
		return nil, err
	}
	return &Poster{a: a}, nil
}

// PostMessage is Adapter.PostMessage.
func (p *Poster) PostMessage(ctx context.Context, channelID string, m Message) error {
	return p.a.PostMessage(ctx, channelID, m)
}

// PostDigestID is Adapter.PostDigestID.
func (p *Poster) PostDigestID(ctx context.Context, channelID string, d digest.Digest) (string, error) {
	return p.a.PostDigestID(ctx, channelID, d)
}

// newAdapter builds the adapter of opts, whose requirements the caller
// checked (New: an answering adapter; NewPoster: a post-only client).
func newAdapter(opts Options) (*Adapter, error) {
	a := &Adapter{
		token:           opts.BotToken,
		appID:           opts.AppID,
		guildID:         opts.GuildID,
		bot:             opts.Bot,
		votes:           opts.Votes,
		convs:           opts.Conversations,
		channels:        opts.Channels,
		dedupe:          opts.Dedupe,
		obs:             opts.Observer,
		log:             opts.Logger,
		now:             opts.Now,
		handlers:        map[string]Command{},
		deferAfter:      orDefault(opts.DeferAfter, DefaultDeferAfter),
		restTimeout:     orDefault(opts.RESTTimeout, DefaultRESTTimeout),
		answerTimeout:   orDefault(opts.AnswerTimeout, DefaultAnswerTimeout),
		openTimeout:     orDefault(opts.OpenTimeout, DefaultOpenTimeout),
		shutdownTimeout: orDefault(opts.ShutdownTimeout, DefaultShutdownTimeout),
		backoffMin:      time.Second,
		backoffMax:      2 * time.Minute,
		recent:          newRecentAnswers(512),
		gateway:         opts.Gateway,
		bodyTimeout:     defaultBodyTimeout,
	}
	if !strings.HasPrefix(a.token, "Bot ") {
		a.token = "Bot " + strings.TrimSpace(a.token)
	}
	if a.obs == nil {
		a.obs = bot.NopObserver{}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("adapter", bot.PlatformDiscord)
	if a.now == nil {
		a.now = time.Now
	}
	if a.dedupe == nil {
		d, err := bot.OpenDeduper("", DefaultDedupeTTL, a.now)
		if err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
		a.dedupe = d
	}
	if opts.PublicKey != "" {
		key, err := hex.DecodeString(strings.TrimSpace(opts.PublicKey))
		if err != nil || len(key) != ed25519.PublicKeySize {
			return nil, ErrBadKey
		}
		a.publicKey = key
	}
	a.apiBase = strings.TrimRight(opts.APIURL, "/")
	if a.apiBase == "" {
		a.apiBase = DefaultAPIURL
	}
	if httpx.CheckAPIURL(a.apiBase) != nil {
		return nil, fmt.Errorf("%w: %q", ErrBadAPIURL, opts.APIURL)
	}
	for _, c := range builtinCommands() {
		a.handlers[c.Name] = Command{Definition: c}
	}
	// Always registered (a registration by hand must not drop it); without
	// Channels it says settings are not available.
	opts.Commands = append(opts.Commands[:len(opts.Commands):len(opts.Commands)], settingsCommand(opts.Channels))
	for _, c := range opts.Commands {
		if c.Definition == nil || c.Definition.Name == "" || c.Handle == nil {
			return nil, ErrBadCommand
		}
		if _, dup := a.handlers[c.Definition.Name]; dup {
			return nil, fmt.Errorf("%w: /%s", ErrDupCommand, c.Definition.Name)
		}
		a.handlers[c.Definition.Name] = c
		a.extra = append(a.extra, c)
	}

	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: 30 * time.Second}
	}
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	client := *base
	client.Transport = newRESTTransport(a.apiBase, next, orDefault(opts.MaxRateWait, DefaultMaxRateWait), a.obs, a.log)
	a.client = &client
	a.rest = a.newSession()
	a.pool = work.New(1, 0, nil) // answers run on their request's goroutine (Begin)
	return a, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// newSession returns a discordgo session that sends REST calls through the
// adapter's client and leaves reconnecting and rate-limit retries to the
// adapter, which bounds them.
func (a *Adapter) newSession() *discordgo.Session {
	s, _ := discordgo.New(a.token) // New only fills in a struct
	s.Client = a.client
	s.ShouldRetryOnRateLimit = false
	s.ShouldReconnectOnError = false
	s.ShouldReconnectVoiceOnSessionError = false
	s.MaxRestRetries = 1
	s.StateEnabled = false
	s.Compress = false
	s.Identify.Compress = false
	s.Identify.Intents = discordgo.IntentsNone
	// discordgo logs to the standard logger; the adapter logs what matters
	// through slog instead (a level below LogError silences discordgo).
	s.LogLevel = discordgo.LogError - 1
	return s
}

// Name implements bot.Adapter.
func (a *Adapter) Name() string { return bot.PlatformDiscord }

// HTTPMode reports whether interactions arrive over HTTP (a public key is
// configured) rather than over the gateway.
func (a *Adapter) HTTPMode() bool { return a.publicKey != nil }

var _ httpapi.Mounter = (*Adapter)(nil)

// Routes implements httpapi.Mounter: in HTTP mode it mounts
// POST /discord/interactions; otherwise it mounts nothing.
func (a *Adapter) Routes(mux *http.ServeMux) {
	if a.HTTPMode() {
		mux.Handle(InteractionsPath, http.HandlerFunc(a.serveInteractions))
	}
}

// Run implements bot.Adapter. It registers the commands (retrying with
// backoff) and, without a public key, keeps a gateway session open,
// reconnecting with backoff. Neither an unreachable API nor an unreachable
// gateway stops it: it logs, retries and returns nil when ctx is done, after
// finishing answers in flight. Its whole shutdown takes at most
// Options.ShutdownTimeout: answers still running then are cancelled, each
// logged with its interaction id and counted as dropped.
func (a *Adapter) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.registerLoop(ctx)
	}()
	if !a.HTTPMode() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a.gateway != nil {
				a.gateway(ctx, a.superviseGateway)
				return
			}
			a.superviseGateway(ctx)
		}()
	}
	<-ctx.Done()
	deadline := time.Now().Add(a.shutdownTimeout)
	a.pool.Stop() // no new answers while the gateway closes
	wg.Wait()
	a.drain(time.Until(deadline))
	return nil
}

// drain stops new work, waits up to grace for answers in flight, then
// cancels whatever is left, logging and counting each as dropped.
func (a *Adapter) drain(grace time.Duration) {
	abandoned, _ := a.pool.Drain(grace, 0)
	for _, id := range abandoned {
		bot.ObserveDropped(a.obs, bot.PlatformDiscord)
		a.log.Warn("answer dropped at shutdown: not finished within the budget", "interaction_id", id)
	}
}

// registerLoop registers the commands, retrying transient failures with
// backoff until it succeeds, ctx ends or Discord rejects the request.
func (a *Adapter) registerLoop(ctx context.Context) {
	backoff := a.backoffMin
	for {
		err := a.RegisterCommands(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		var rerr *discordgo.RESTError
		if errors.As(err, &rerr) && rerr.Response != nil && rerr.Response.StatusCode >= 400 && rerr.Response.StatusCode < 500 &&
			rerr.Response.StatusCode != http.StatusTooManyRequests {
			a.log.Error("command registration rejected; not retrying", "status", rerr.Response.StatusCode)
			return
		}
		a.log.Warn("command registration failed; retrying", "err", err, "in", backoff)
		if !sleep.For(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, a.backoffMax)
	}
}
