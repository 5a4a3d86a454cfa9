package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// ackTimeout bounds queueing one Socket Mode acknowledgement.
const ackTimeout = 5 * time.Second

// runSocket keeps a Socket Mode connection until ctx is done. slack-go
// reconnects when Slack sends `disconnect` or the connection drops; it
// returns early only when the app token is refused.
func (a *Adapter) runSocket(ctx context.Context) error {
	smc := socketmode.New(a.api, socketmode.OptionLog(a.sdkLog))
	done := make(chan error, 1)
	go func() { done <- smc.RunContext(ctx) }()
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack: socket mode: %w", err)
		case evt := <-smc.Events:
			a.onSocketEvent(ctx, smc, evt)
		}
	}
}

// onSocketEvent handles one Socket Mode event. Envelopes are acknowledged
// before any work; a slash command's acknowledgement carries its reply when
// the reply is ready in time.
// A panic while handling it is logged; the connection stays up.
func (a *Adapter) onSocketEvent(ctx context.Context, smc *socketmode.Client, evt socketmode.Event) {
	defer func() {
		if p := recover(); p != nil {
			a.log.ErrorContext(ctx, "slack socket mode handler panicked", "type", string(evt.Type), "panic", fmt.Sprint(p),
				"stack", string(debug.Stack()))
		}
	}()
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.log.DebugContext(ctx, "slack socket mode connecting")
	case socketmode.EventTypeConnected:
		a.log.InfoContext(ctx, "slack socket mode connected")
	case socketmode.EventTypeHello:
		a.log.DebugContext(ctx, "slack socket mode hello")
	case socketmode.EventTypeConnectionError:
		if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			a.log.WarnContext(ctx, "slack socket mode connection failed", "attempt", e.Attempt, "backoff", e.Backoff, "err", redactURL(e.ErrorObj))
		}
	case socketmode.EventTypeInvalidAuth:
		a.log.ErrorContext(ctx, "slack socket mode: the app token was refused")
	case socketmode.EventTypeEventsAPI:
		a.ack(ctx, smc, evt.Request, nil)
		if evt.Request != nil {
			a.onEnvelope(ctx, evt.Request.Payload)
		}
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		req := *evt.Request
		// Waiting for the reply must not hold up the event loop.
		if !a.pool.Track(func(wctx context.Context) {
			resp := a.command(wctx, cmd)
			if err := a.ackErr(wctx, smc, &req, resp); err != nil {
				// Too large for an acknowledgement (20 KB): deliver it
				// through response_url instead.
				a.ack(wctx, smc, &req, nil)
				a.respond(wctx, cmd.ResponseURL, resp)
			}
		}) {
			a.ack(ctx, smc, &req, commandResponse{ResponseType: ephemeral, Text: "I'm restarting: please try again in a moment."})
		}
	case socketmode.EventTypeInteractive:
		a.ack(ctx, smc, evt.Request, nil)
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			a.onInteraction(ctx, cb)
		}
	case socketmode.EventTypeErrorBadMessage:
		// slack-go could not parse it (e.g. an event type it does not
		// know). Acknowledge it so that Slack does not redeliver, and
		// handle it if it is an Events API envelope we can read.
		if e, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var req socketmode.Request
			if json.Unmarshal(e.Message, &req) == nil && req.EnvelopeID != "" {
				a.ack(ctx, smc, &req, nil)
				if req.Type == socketmode.RequestTypeEventsAPI {
					a.onEnvelope(ctx, req.Payload)
				}
			}
			a.log.WarnContext(ctx, "slack socket mode message not understood", "err", e.Cause)
		}
	case socketmode.EventTypeDisconnect:
		a.log.InfoContext(ctx, "slack socket mode: Slack asked to reconnect")
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		a.log.WarnContext(ctx, "slack socket mode connection error", "type", string(evt.Type))
	}
}

// onEnvelope handles the payload of an events_api envelope.
func (a *Adapter) onEnvelope(ctx context.Context, raw json.RawMessage) {
	var p eventsPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		a.log.WarnContext(ctx, "slack socket mode payload undecodable", "err", err)
		return
	}
	// The work context: answers outlive this loop iteration but not the
	// adapter's drain.
	a.onEvent(a.pool.Context(), p, "socket")
}

// ack acknowledges an envelope, logging a failure (Slack then redelivers,
// and the deduper drops the copy).
func (a *Adapter) ack(ctx context.Context, smc *socketmode.Client, req *socketmode.Request, payload any) {
	if err := a.ackErr(ctx, smc, req, payload); err != nil {
		a.log.WarnContext(ctx, "slack socket mode ack failed", "err", err)
	}
}

func (a *Adapter) ackErr(ctx context.Context, smc *socketmode.Client, req *socketmode.Request, payload any) error {
	if req == nil || req.EnvelopeID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	return smc.AckCtx(ctx, req.EnvelopeID, payload)
}
