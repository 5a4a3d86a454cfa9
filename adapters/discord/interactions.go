package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/adapters/internal/httpx"
	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/internal/sleep"
)

// maxInteractionBody bounds the body of an HTTP interaction; a larger one
// gets 413.
const maxInteractionBody = 1 << 20

// defaultBodyTimeout bounds reading an interaction's body; a client that
// stalls gets 408.
const defaultBodyTimeout = 10 * time.Second

// responder sends the first response to an interaction: the HTTP response
// body in HTTP mode, a REST callback in gateway mode. It is called once.
type responder func(resp *discordgo.InteractionResponse) error

// serveInteractions is POST /discord/interactions: it checks the Ed25519
// signature and its timestamp's freshness before doing anything else.
// A panic anywhere in it is a logged 500, never a dropped connection.
func (a *Adapter) serveInteractions(w http.ResponseWriter, r *http.Request) {
	defer a.recoverRequest(w, r)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, status := httpx.ReadBody(w, r, maxInteractionBody, a.bodyTimeout)
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	if !a.verify(r.Header, body) {
		a.log.WarnContext(r.Context(), "interaction rejected: bad or stale signature")
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil {
		http.Error(w, "invalid interaction", http.StatusBadRequest)
		return
	}
	a.dispatch(r.Context(), &i, func(resp *discordgo.InteractionResponse) error {
		b, err := json.Marshal(resp)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return fmt.Errorf("discord: encode response: %w", err)
		}
		w.Header().Set("Content-Type", "application/json")
		if _, err := w.Write(b); err != nil {
			return err
		}
		// Send it now: a deferred reply is edited as soon as the answer is
		// ready, and the edit needs Discord to have the deferral first.
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		return nil
	})
}

// recoverRequest turns a panic in a request into a logged 500 (headers
// permitting). Deferred first in each handler.
func (a *Adapter) recoverRequest(w http.ResponseWriter, r *http.Request) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	a.log.ErrorContext(r.Context(), "interaction handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// verify checks the request's Ed25519 signature over timestamp + body, and
// that the timestamp is within MaxClockSkew of now: discordgo's
// VerifyInteraction does not check freshness, so a captured request could
// otherwise be replayed forever.
func (a *Adapter) verify(h http.Header, body []byte) bool {
	sig, err := hex.DecodeString(h.Get("X-Signature-Ed25519"))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	ts := h.Get("X-Signature-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if skew := a.now().Sub(time.Unix(secs, 0)); skew > MaxClockSkew || skew < -MaxClockSkew {
		return false
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	return ed25519.Verify(a.publicKey, msg, sig)
}

// handleGateway answers an interaction that arrived over the gateway.
func (a *Adapter) handleGateway(_ *discordgo.Session, ev *discordgo.InteractionCreate) {
	if ev == nil || ev.Interaction == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("gateway interaction handler panicked", "interaction_id", ev.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	i := ev.Interaction
	a.dispatch(a.pool.Context(), i, func(resp *discordgo.InteractionResponse) error {
		return a.callback(a.pool.Context(), i, resp)
	})
}

// dispatch routes one interaction and makes sure it gets a first response.
// A command or a button click is claimed by its interaction id first and
// marked done once its first response is sent: a replay of it is only told
// so.
func (a *Adapter) dispatch(ctx context.Context, i *discordgo.Interaction, respond responder) {
	if i.Type == discordgo.InteractionApplicationCommand || i.Type == discordgo.InteractionMessageComponent {
		key := "discord:interaction:" + i.ID
		claimed, err := a.dedupe.Claim(key, nil)
		if err != nil {
			a.log.ErrorContext(ctx, "dedupe failed", "err", err) // answered all the same
		}
		if !claimed && err == nil {
			a.obs.Deduplicated(bot.PlatformDiscord)
			a.log.InfoContext(ctx, "duplicate interaction dropped", "interaction_id", i.ID)
			a.send(ctx, respond, reply(Message{Content: "This was already handled.", Ephemeral: true}))
			return
		}
		first := respond
		respond = func(resp *discordgo.InteractionResponse) error {
			err := first(resp)
			if err == nil {
				if derr := a.dedupe.Done(key); derr != nil {
					a.log.ErrorContext(ctx, "dedupe failed", "err", derr)
				}
			} else {
				a.dedupe.Release(key)
			}
			return err
		}
	}
	switch i.Type {
	case discordgo.InteractionPing:
		a.send(ctx, respond, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
	case discordgo.InteractionApplicationCommand:
		a.command(ctx, i, respond)
	case discordgo.InteractionMessageComponent:
		if key, ok := strings.CutPrefix(i.MessageComponentData().CustomID, followUpPrefix); ok {
			a.send(ctx, respond, a.followUpModal(key))
			return
		}
		if rest, ok := strings.CutPrefix(i.MessageComponentData().CustomID, reasonPrefix); ok {
			a.send(ctx, respond, reply(a.handleReason(ctx, i, rest)))
			return
		}
		m := a.handleVote(ctx, i)
		a.send(ctx, respond, reply(m))
	case discordgo.InteractionModalSubmit:
		a.followUp(ctx, i, respond)
	case discordgo.InteractionApplicationCommandAutocomplete:
		a.send(ctx, respond, &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{}},
		})
	default:
		a.send(ctx, respond, reply(Message{Content: "I don't handle that kind of interaction.", Ephemeral: true}))
	}
}

// reply is a type 4 response carrying m.
func reply(m Message) *discordgo.InteractionResponse {
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: responseData(m)}
}

// send makes the first response, counting a failure.
func (a *Adapter) send(ctx context.Context, respond responder, resp *discordgo.InteractionResponse) bool {
	if err := respond(resp); err != nil {
		a.obs.DeliveryFailed(bot.PlatformDiscord)
		a.log.ErrorContext(ctx, "interaction response failed", "type", int(resp.Type), "err", err)
		return false
	}
	return true
}

// command answers a slash command.
func (a *Adapter) command(ctx context.Context, i *discordgo.Interaction, respond responder) {
	inv := invocationOf(i)
	cmd, ok := a.handlers[inv.Name]
	if !ok {
		a.send(ctx, respond, reply(Message{Content: fmt.Sprintf("I don't know the command /%s %s. Try /%s help.", CommandGroup, inv.Name, CommandGroup), Ephemeral: true}))
		return
	}
	if !permitted(cmd.Definition, i) {
		a.send(ctx, respond, reply(Message{Content: fmt.Sprintf("Only members who can manage this channel may use /%s %s.", CommandGroup, inv.Name), Ephemeral: true}))
		return
	}
	if err := checkOptions(cmd.Definition, inv); err != nil {
		a.log.WarnContext(ctx, "interaction with a bad option", "command", inv.Name, "err", err)
		a.send(ctx, respond, reply(Message{Content: err.Error(), Ephemeral: true}))
		return
	}
	switch inv.Name {
	case CommandHelp:
		a.send(ctx, respond, reply(Message{Content: helpText(a.extra), Ephemeral: true}))
	case CommandAsk:
		set := a.channels.Get(bot.PlatformDiscord, inv.ChannelID)
		if set.Answer == bot.AnswerOff {
			a.send(ctx, respond, reply(Message{Content: "I'm switched off in this channel (`/brief settings`).", Ephemeral: true}))
			return
		}
		a.answer(ctx, i, respond, set.IsPrivate(), func(ctx context.Context) Message {
			m := a.ask(ctx, inv)
			m.Ephemeral = m.Ephemeral || set.IsPrivate()
			return m
		})
	case CommandSources:
		a.answer(ctx, i, respond, false, a.sources)
	default:
		a.answer(ctx, i, respond, cmd.Ephemeral, func(ctx context.Context) Message {
			m, err := cmd.Handle(ctx, inv)
			if err != nil {
				a.log.ErrorContext(ctx, "command failed", "command", inv.Name, "err", err)
				return Message{Content: fmt.Sprintf("Sorry, /%s %s failed. Please try again in a moment.", CommandGroup, inv.Name), Ephemeral: true}
			}
			return m
		})
	}
}

// answer runs produce and replies with its message directly if it is ready
// within DeferAfter; otherwise it defers the reply at once (Discord allows
// 3 s) and edits the deferred reply when the message is ready. Whatever
// happens after deferring, the reply is edited to something true, so the
// user never sees "The application did not respond".
func (a *Adapter) answer(ctx context.Context, i *discordgo.Interaction, respond responder, ephemeral bool, produce func(context.Context) Message) {
	end, ok := a.pool.Begin(i.ID)
	if !ok {
		a.send(ctx, respond, reply(Message{Content: "I'm restarting. Please try again in a minute.", Ephemeral: true}))
		return
	}
	start := a.now()
	ready := make(chan Message, 1)
	edit := make(chan bool, 1)
	go func() {
		defer end()
		defer func() {
			if p := recover(); p != nil {
				a.log.Error("answer panicked", "interaction_id", i.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
		}()
		m := a.produceSafely(produce)
		ready <- m
		if <-edit {
			a.deliverEdit(i, m)
		}
	}()
	timer := time.NewTimer(a.deferAfter)
	defer timer.Stop()
	select {
	case m := <-ready:
		a.send(ctx, respond, reply(m))
		edit <- false
		a.log.InfoContext(ctx, "replied", "mode", "direct", "latency_ms", a.now().Sub(start).Milliseconds())
	case <-timer.C:
		resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{AllowedMentions: noMentions()}}
		if ephemeral {
			resp.Data.Flags = discordgo.MessageFlagsEphemeral
		}
		ok := a.send(ctx, respond, resp)
		edit <- ok
		a.log.InfoContext(ctx, "replied", "mode", "deferred", "ok", ok)
	}
}

// produceSafely runs produce under the answer timeout, turning a panic into
// a short apology rather than silence.
func (a *Adapter) produceSafely(produce func(context.Context) Message) (m Message) {
	ctx, cancel := context.WithTimeout(a.pool.Context(), a.answerTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("command panicked", "panic", fmt.Sprint(r))
			m = Message{Content: "Sorry, something went wrong while answering. Please try again."}
		}
	}()
	return produce(ctx)
}

// deliverEdit replaces the deferred reply with m. A 404 (Discord has not
// yet registered the deferral) is retried briefly. If Discord refuses the
// message itself (400), a plain apology replaces it, so the reply never
// stays "thinking".
func (a *Adapter) deliverEdit(i *discordgo.Interaction, m Message) {
	err := a.editOriginal(a.pool.Context(), i, m)
	var apiErr *APIError
	for wait := 250 * time.Millisecond; wait <= time.Second && errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound; wait *= 2 {
		if !sleep.For(a.pool.Context(), wait) {
			break
		}
		err = a.editOriginal(a.pool.Context(), i, m)
	}
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest {
		a.log.Error("edit refused; sending a plain apology", "err", err)
		err = a.editOriginal(a.pool.Context(), i, Message{Content: "Sorry, I found an answer but Discord would not display it."})
	}
	if err != nil {
		if a.pool.Context().Err() != nil {
			return // shutdown ran out of time: drain logged and counted it as dropped
		}
		a.obs.DeliveryFailed(bot.PlatformDiscord)
		a.log.Error("deferred reply not delivered", "interaction_id", i.ID, "err", err)
	}
}

// ask answers /brief ask.
func (a *Adapter) ask(ctx context.Context, inv Invocation) Message {
	ans, err := a.bot.Ask(ctx, bot.Question{Text: inv.String("question"), Platform: bot.PlatformDiscord,
		Collections: a.channels.Get(bot.PlatformDiscord, inv.ChannelID).Collections})
	switch {
	case errors.Is(err, bot.ErrEmptyQuestion):
		return Message{Content: "Please type a question, e.g. `/brief ask question: What did Zelensky say about the talks?`", Ephemeral: true}
	case errors.Is(err, bot.ErrQuestionTooLong):
		return Message{Content: fmt.Sprintf("Please keep the question under %d characters.", bot.MaxQuestionLen), Ephemeral: true}
	case errors.Is(err, context.DeadlineExceeded):
		return Message{Content: "Sorry, searching the briefings took too long. Please try again."}
	case err != nil:
		return Message{Content: "Sorry, I couldn't search the briefings just now. Please try again in a moment."}
	}
	return a.withFollowUp(a.withVotes(RenderAnswer(ans), inv.Interaction.ID, ans), inv.Interaction.ID, nil, ans)
}

// sources answers /brief sources.
func (a *Adapter) sources(ctx context.Context) Message {
	lib, err := a.bot.Library(ctx, sourcesLatest)
	if err != nil {
		a.log.ErrorContext(ctx, "library failed", "err", err)
		return Message{Content: "Sorry, I couldn't list the briefings just now. Please try again in a moment."}
	}
	return RenderLibrary(lib)
}
