package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/adapters/internal/httpx"
	"github.com/briefbot/briefbot/bot"
)

// maxRateRetries is how many 429s one REST call waits out before failing.
const maxRateRetries = 3

// restTransport sends discordgo's REST calls to the configured API base and
// waits out 429s itself (httpx.Retry, honouring the request context and a
// bound on each wait). discordgo's own waits (its 429 retry and its bucket
// pre-emption driven by X-RateLimit-* headers) sleep without a context, so
// they are disabled: the session never retries 429s, and the headers that
// would make its buckets sleep are removed from responses.
type restTransport struct {
	base  string // API base URL without a trailing slash
	retry *httpx.Retry
}

// newRESTTransport returns the transport of REST calls to base through next.
func newRESTTransport(base string, next http.RoundTripper, maxWait time.Duration, obs bot.Observer, log *slog.Logger) *restTransport {
	return &restTransport{base: base, retry: &httpx.Retry{
		Next: next, Platform: bot.PlatformDiscord,
		MaxAttempts: maxRateRetries + 1, MaxRateWait: maxWait,
		RetryAfter:  retryAfter,
		RateLimited: func(wait time.Duration) { obs.RateLimited(bot.PlatformDiscord, wait) },
		Log:         log,
		Describe:    func(*http.Request) string { return "rest" }, // URLs hold interaction tokens
	}}
}

// RoundTrip implements http.RoundTripper.
func (t *restTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	if rest, ok := strings.CutPrefix(req.URL.String(), DefaultAPIURL); ok && t.base != DefaultAPIURL {
		u, err := url.Parse(t.base + rest)
		if err != nil {
			return nil, fmt.Errorf("discord: rewrite URL: %w", err)
		}
		out.URL, out.Host = u, ""
	}
	resp, err := t.retry.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	stripRateHeaders(resp.Header)
	return resp, nil
}

// stripRateHeaders removes the headers that make discordgo's buckets sleep
// without a context.
func stripRateHeaders(h http.Header) {
	for k := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), "X-Ratelimit-") {
			delete(h, k)
		}
	}
}

// retryAfter reads a 429's wait: the JSON body's retry_after (seconds, with
// fractions) or else the Retry-After header (seconds); without either the
// call is not retried.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	body, _ := io.ReadAll(resp.Body) // httpx.Retry gives the caller the body unread
	var rl struct {
		RetryAfter *float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &rl) == nil && rl.RetryAfter != nil && *rl.RetryAfter >= 0 {
		return time.Duration(*rl.RetryAfter * float64(time.Second)), true
	}
	if s, err := strconv.ParseFloat(strings.TrimSpace(resp.Header.Get("Retry-After")), 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	return 0, false
}

// APIError is a REST call Discord refused. It carries no URL or body, since
// interaction and webhook URLs embed tokens.
type APIError struct {
	// Status is the HTTP status.
	Status int
	// Code is Discord's JSON error code, when it sent one.
	Code int
}

// Error implements error.
func (e *APIError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("discord: API status %d (code %d)", e.Status, e.Code)
	}
	return fmt.Sprintf("discord: API status %d", e.Status)
}

// safeError rewrites errors from discordgo and net/http so that they can be
// logged: those errors quote request URLs, and interaction URLs hold tokens.
func safeError(what string, err error) error {
	var rest *discordgo.RESTError
	var rate *discordgo.RateLimitError
	var uerr *url.Error
	switch {
	case errors.As(err, &rest):
		e := &APIError{}
		if rest.Response != nil {
			e.Status = rest.Response.StatusCode
		}
		if rest.Message != nil {
			e.Code = rest.Message.Code
		}
		return fmt.Errorf("%s: %w", what, e)
	case errors.As(err, &rate):
		return fmt.Errorf("%s: %w", what, &APIError{Status: http.StatusTooManyRequests})
	case errors.As(err, &uerr):
		return fmt.Errorf("%s: %s: %w", what, uerr.Op, uerr.Err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// call makes one REST call with the adapter's timeout; data is sent as JSON.
// The response body is not needed by any caller, so it is not decoded (a
// 204 and an echoed object are both success).
func (a *Adapter) call(ctx context.Context, what, method, endpoint, bucket string, data any) error {
	ctx, cancel := context.WithTimeout(ctx, a.restTimeout)
	defer cancel()
	_, err := a.rest.RequestWithBucketID(method, endpoint, data, bucket, discordgo.WithContext(ctx))
	if err != nil {
		return safeError(what, err)
	}
	return nil
}

// RegisterCommands replaces the application's commands with Commands() in
// one idempotent bulk overwrite, in Options.GuildID when set, else globally.
// `briefbot discord register` calls it; Run calls it at start.
func (a *Adapter) RegisterCommands(ctx context.Context) error {
	endpoint := discordgo.EndpointApplicationGlobalCommands(a.appID)
	if a.guildID != "" {
		endpoint = discordgo.EndpointApplicationGuildCommands(a.appID, a.guildID)
	}
	if err := a.call(ctx, "discord: register commands", http.MethodPut, endpoint, endpoint, a.Commands()); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "commands registered", "count", len(a.Commands()), "guild", a.guildID != "")
	return nil
}

// Unregister removes commands registered in a scope: in guildID, or
// globally when it is "". Without all it removes only stale ones (every
// command but /brief, such as the /ask, /help and /subscribe an older
// briefbot registered); with all, /brief too. It returns the names removed.
// Discord lists an application's commands per scope: commands left in a
// guild after switching to global registration (or the reverse) are
// removed by naming that scope.
func (a *Adapter) Unregister(ctx context.Context, guildID string, all bool) ([]string, error) {
	endpoint := discordgo.EndpointApplicationGlobalCommands(a.appID)
	if guildID != "" {
		endpoint = discordgo.EndpointApplicationGuildCommands(a.appID, guildID)
	}
	lctx, cancel := context.WithTimeout(ctx, a.restTimeout)
	body, err := a.rest.RequestWithBucketID(http.MethodGet, endpoint, nil, endpoint, discordgo.WithContext(lctx))
	cancel()
	if err != nil {
		return nil, safeError("discord: list commands", err)
	}
	var cmds []*discordgo.ApplicationCommand
	if err := json.Unmarshal(body, &cmds); err != nil {
		return nil, fmt.Errorf("discord: list commands: %w", err)
	}
	var removed []string
	for _, c := range cmds {
		if c == nil || c.ID == "" || (!all && c.Name == CommandGroup) {
			continue
		}
		one := discordgo.EndpointApplicationGlobalCommand(a.appID, c.ID)
		if guildID != "" {
			one = discordgo.EndpointApplicationGuildCommand(a.appID, guildID, c.ID)
		}
		if err := a.call(ctx, "discord: delete command /"+c.Name, http.MethodDelete, one, endpoint, nil); err != nil {
			return removed, err
		}
		removed = append(removed, c.Name)
	}
	return removed, nil
}

// channelMessage is the body of POST /channels/{id}/messages.
type channelMessage struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds,omitempty"`
	Components      []discordgo.MessageComponent      `json:"components,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
}

// PostEmbeds posts a message with embeds to a channel (the digest feature
// uses it). The message is trimmed to Discord's limits, content mentions
// are neutralised and allowed_mentions forbids every ping. A failure is
// counted with Observer.DeliveryFailed.
func (a *Adapter) PostEmbeds(ctx context.Context, channelID, content string, embeds []*discordgo.MessageEmbed) error {
	return a.PostMessage(ctx, channelID, Message{Content: content, Embeds: embeds})
}

// PostMessage posts m to a channel, trimmed to Discord's limits, with
// mentions in its content neutralised and allowed_mentions forbidding every
// ping. A failure is counted with Observer.DeliveryFailed.
func (a *Adapter) PostMessage(ctx context.Context, channelID string, m Message) error {
	_, err := a.PostMessageID(ctx, channelID, m)
	return err
}

// PostMessageID is PostMessage, also returning the posted message's id
// (for a cluster's digest ledger; "" if Discord's reply carried none).
func (a *Adapter) PostMessageID(ctx context.Context, channelID string, m Message) (string, error) {
	if channelID == "" {
		return "", errors.New("discord: post: no channel id")
	}
	m = prepare(m)
	if m.Content == "" && len(m.Embeds) == 0 {
		return "", errors.New("discord: post: empty message")
	}
	endpoint := discordgo.EndpointChannelMessages(channelID)
	cctx, cancel := context.WithTimeout(ctx, a.restTimeout)
	defer cancel()
	body, err := a.rest.RequestWithBucketID(http.MethodPost, endpoint, channelMessage{
		Content: m.Content, Embeds: m.Embeds, Components: m.Components, AllowedMentions: noMentions(),
	}, endpoint, discordgo.WithContext(cctx))
	if err != nil {
		err = safeError("discord: post message", err)
		a.obs.DeliveryFailed(bot.PlatformDiscord)
		a.log.ErrorContext(ctx, "post failed", "err", err)
		return "", err
	}
	var posted struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &posted) // posted: an unreadable reply only loses the id
	return posted.ID, nil
}

// responseData renders m as interaction response data.
func responseData(m Message) *discordgo.InteractionResponseData {
	m = prepare(m)
	d := &discordgo.InteractionResponseData{
		Content:         m.Content,
		Embeds:          m.Embeds,
		Components:      m.Components,
		AllowedMentions: noMentions(),
	}
	if d.Embeds == nil {
		d.Embeds = []*discordgo.MessageEmbed{}
	}
	if d.Components == nil {
		d.Components = []discordgo.MessageComponent{}
	}
	if m.Ephemeral {
		d.Flags = discordgo.MessageFlagsEphemeral
	}
	return d
}

// callback answers an interaction over REST (gateway mode).
func (a *Adapter) callback(ctx context.Context, i *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
	endpoint := discordgo.EndpointInteractionResponse(i.ID, i.Token)
	return a.call(ctx, "discord: interaction callback", http.MethodPost, endpoint, endpoint, resp)
}

// editOriginal replaces a deferred reply with m.
func (a *Adapter) editOriginal(ctx context.Context, i *discordgo.Interaction, m Message) error {
	m = prepare(m)
	embeds := m.Embeds
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	components := m.Components
	if components == nil {
		components = []discordgo.MessageComponent{}
	}
	appID := i.AppID
	if appID == "" {
		appID = a.appID
	}
	endpoint := discordgo.EndpointWebhookMessage(appID, i.Token, "@original")
	return a.call(ctx, "discord: edit reply", http.MethodPatch, endpoint, discordgo.EndpointWebhookToken("", ""), &discordgo.WebhookEdit{
		Content:         &m.Content,
		Embeds:          &embeds,
		Components:      &components,
		AllowedMentions: noMentions(),
	})
}
