package slack

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/bot"
)

// Slash command response types.
const (
	inChannel = "in_channel"
	ephemeral = "ephemeral"
)

// libraryLatest is how many recent articles /brief sources lists.
const libraryLatest = 5

// commandResponse is a reply to a slash command, in the HTTP response, the
// Socket Mode acknowledgement or a response_url post.
type commandResponse struct {
	ResponseType string        `json:"response_type,omitempty"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
}

func responseOf(kind string, m Message) commandResponse {
	return commandResponse{ResponseType: kind, Text: m.Text, Blocks: m.Blocks}
}

// command answers /brief: help, sources, digest, subscribe, unsubscribe,
// or a question. It returns what
// to send back at once: the reply itself when it is ready within the
// command wait, else a short acknowledgement, the reply following through
// the command's response_url.
func (a *Adapter) command(ctx context.Context, cmd slack.SlashCommand) commandResponse {
	text := strings.TrimSpace(cmd.Text)
	fields := strings.Fields(strings.ToLower(text))
	switch {
	case len(fields) == 0 || (len(fields) == 1 && fields[0] == "help"):
		return responseOf(ephemeral, RenderText(a.help()))
	case fields[0] == "settings":
		return a.settingsCommand(ctx, cmd, strings.Fields(text)[1:])
	case fields[0] == "subscribe" || fields[0] == "unsubscribe" || (len(fields) == 1 && fields[0] == "digest"):
		return a.digestCommand(ctx, cmd, fields[0], strings.Fields(text)[1:])
	case len(fields) == 1 && fields[0] == "sources":
		return a.within(ctx, cmd.ResponseURL, func(ctx context.Context) commandResponse {
			lib, err := a.bot.Library(ctx, libraryLatest)
			if err != nil {
				a.log.ErrorContext(ctx, "slack sources failed", "err", err)
				return responseOf(ephemeral, RenderText(searchFailedText))
			}
			return responseOf(ephemeral, RenderLibrary(lib))
		})
	}
	q := plainText(text)
	if a.mode(cmd.ChannelID) == bot.AnswerOff {
		return responseOf(ephemeral, RenderText("I'm switched off in this channel (`/brief settings` shows how I answer here)."))
	}
	a.log.InfoContext(ctx, "slack command", "channel", cmd.ChannelID)
	return a.within(ctx, cmd.ResponseURL, func(ctx context.Context) commandResponse {
		m, answered := a.replyTo(ctx, cmd.ChannelID, q, RenderOptions{ShowQuestion: true, Votes: a.votes != nil})
		if !answered || a.channels.Get(bot.PlatformSlack, cmd.ChannelID).IsPrivate() {
			return responseOf(ephemeral, m)
		}
		return responseOf(inChannel, m)
	})
}

// within computes a reply on the pool and returns it if it is ready within
// the command wait; otherwise it returns an acknowledgement and the reply
// goes to responseURL when ready. Exactly one of the two carries it.
func (a *Adapter) within(ctx context.Context, responseURL string, compute func(context.Context) commandResponse) commandResponse {
	ready := make(chan commandResponse) // unbuffered: a send is a handover
	late := make(chan struct{})
	ok := a.pool.Go(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, a.ansLimit)
		defer cancel()
		resp := compute(ctx)
		select {
		case ready <- resp:
		case <-late:
			a.respond(ctx, responseURL, resp)
		}
	}, func() {
		bot.ObserveDropped(a.obs, bot.PlatformSlack)
		a.log.Warn("slack command reply dropped at shutdown: cancelled before it started")
	})
	if !ok {
		if a.pool.Stopped() {
			// The user is told to try again: nothing is lost silently.
			a.log.InfoContext(ctx, "slack command refused: shutting down")
		} else {
			a.refused(ctx, "")
		}
		return commandResponse{ResponseType: ephemeral, Text: "I'm busy or restarting: please try again in a moment."}
	}
	t := time.NewTimer(a.cmdWait)
	defer t.Stop()
	select {
	case resp := <-ready:
		return resp
	case <-t.C:
	case <-ctx.Done():
	}
	close(late)
	return commandResponse{ResponseType: ephemeral, Text: "Looking through the briefings…"}
}

// respond posts resp to a response_url (with the retry policy).
func (a *Adapter) respond(ctx context.Context, responseURL string, resp commandResponse) {
	if responseURL == "" {
		a.failed(ctx, "response_url", "", errors.New("slack: no response_url to deliver to"))
		return
	}
	msg := &slack.WebhookMessage{Text: resp.Text, ResponseType: resp.ResponseType}
	if len(resp.Blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: resp.Blocks}
	}
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, a.hc, msg); err != nil {
		if a.pool.Context().Err() != nil {
			bot.ObserveDropped(a.obs, bot.PlatformSlack)
			a.log.Warn("slack command reply dropped at shutdown: cancelled while answering", "err", redactURL(err))
			return
		}
		a.failed(ctx, "response_url", "", redactURL(err))
	}
}

// redactURL drops the URL from a transport error: a response_url is a
// credential for the next 30 minutes.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New(ue.Op + ": " + ue.Err.Error())
	}
	return err
}

// replyTo is reply, also saying whether the message is an answer (found or
// not) rather than help or an error, which only the asker needs to see.
func (a *Adapter) replyTo(ctx context.Context, channel, text string, o RenderOptions) (Message, bool) {
	m, ans := a.reply(ctx, channel, text, nil, o)
	return m, ans != nil
}

// reply answers text, read with the conversation's earlier turns
// (history), and returns the message and the answer (nil when the message
// is help or an error rather than an answer).
func (a *Adapter) reply(ctx context.Context, channel, text string, history []bot.Turn, o RenderOptions) (Message, *bot.Answer) {
	if text == "" {
		return RenderText(a.help()), nil
	}
	ans, err := a.bot.Ask(ctx, bot.Question{Text: text, Platform: bot.PlatformSlack, History: history,
		Collections: a.channels.Get(bot.PlatformSlack, channel).Collections})
	switch {
	case errors.Is(err, bot.ErrEmptyQuestion):
		return RenderText(a.help()), nil
	case errors.Is(err, bot.ErrQuestionTooLong):
		return RenderText("That question is too long for me: please keep it under 500 characters."), nil
	case err != nil:
		return RenderText(searchFailedText), nil
	}
	return RenderAnswer(ans, o), &ans
}

// onInteraction handles a block action: a vote is recorded and
// acknowledged to the voter only.
func (a *Adapter) onInteraction(ctx context.Context, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		a.log.DebugContext(ctx, "slack interaction ignored", "type", cb.Type)
		return
	}
	for _, act := range cb.ActionCallback.BlockActions {
		var vote string
		switch act.ActionID {
		case actionVoteUp:
			vote = bot.VoteUp
		case actionVoteDown:
			vote = bot.VoteDown
		case actionReason:
			value := act.Value
			if !a.pool.Go(func(ctx context.Context) { a.recordReason(ctx, cb, value) }, nil) {
				a.refused(ctx, cb.Channel.ID)
			}
			continue
		default:
			continue
		}
		value := act.Value
		if !a.pool.Go(func(ctx context.Context) { a.recordVote(ctx, cb, value, vote) }, func() {
			a.log.Warn("slack vote not recorded: shutdown cancelled it", "channel", cb.Channel.ID)
		}) {
			a.refused(ctx, cb.Channel.ID)
		}
	}
}

func (a *Adapter) recordVote(ctx context.Context, cb slack.InteractionCallback, value, vote string) {
	text := "Thanks for the 👍: glad it helped."
	if vote == bot.VoteDown {
		text = "Thanks for the 👎: it helps make the answers better."
	}
	v, err := decodeVoteValue(value)
	if err == nil && a.votes == nil {
		err = errors.New("slack: votes are not recorded (no vote log)")
	}
	if err == nil {
		err = a.votes.Record(ctx, bot.Vote{
			Platform: bot.PlatformSlack, Question: v.Question, ArticleIDs: v.ArticleIDs,
			User: cb.User.ID, Vote: vote, Time: a.now().UTC(),
			Key: bot.VoteKey(bot.PlatformSlack, answerID(cb), cb.User.ID, vote),
		})
	}
	if errors.Is(err, bot.ErrDuplicateVote) {
		// A replayed or redelivered click: already counted, nothing to say again.
		a.obs.Deduplicated(bot.PlatformSlack)
		a.log.InfoContext(ctx, "slack duplicate vote dropped", "vote", vote)
		return
	}
	if err != nil {
		a.log.ErrorContext(ctx, "slack vote not recorded", "err", err)
		text = "Sorry, I couldn't record your vote."
	} else {
		a.log.InfoContext(ctx, "slack vote recorded", "vote", vote, "articles", len(v.ArticleIDs))
		if vote == bot.VoteDown {
			// Ask why, privately: the reasons become labelled examples.
			a.ephemeralBlocks(ctx, cb, text+" What was wrong?", reasonBlocks(text+" What was wrong?", answerID(cb)))
			return
		}
	}
	a.ephemeral(ctx, cb, text)
}

// reasonBlocks asks why a 👎 was given: one button per reason, whose value
// carries the reason and the answer it is about.
func reasonBlocks(text, answer string) []slack.Block {
	var buttons []slack.BlockElement
	for _, r := range bot.Reasons {
		buttons = append(buttons, slack.NewButtonBlockElement(actionReason, r.Code+"|"+answer,
			slack.NewTextBlockObject(slack.PlainTextType, r.Label, false, false)))
	}
	return []slack.Block{section(EscapeText(text)), slack.NewActionBlock("briefbot_reasons", buttons...)}
}

// recordReason records why a 👎 was given, with the question and articles
// of that 👎, once per user and answer.
func (a *Adapter) recordReason(ctx context.Context, cb slack.InteractionCallback, value string) {
	code, answer, ok := strings.Cut(value, "|")
	label := bot.ReasonLabel(code)
	if !ok || label == "" || a.votes == nil {
		a.log.WarnContext(ctx, "slack reason not recorded: bad button value or no vote log")
		return
	}
	down, found, err := a.votes.Find(ctx, bot.VoteKey(bot.PlatformSlack, answer, cb.User.ID, bot.VoteDown))
	if err == nil && !found {
		err = errors.New("no 👎 of this user on this answer")
	}
	if err == nil {
		err = a.votes.Record(ctx, bot.Vote{
			Platform: bot.PlatformSlack, Question: down.Question, ArticleIDs: down.ArticleIDs,
			User: cb.User.ID, Vote: bot.VoteDown, Reason: code, Time: a.now().UTC(),
			Key: bot.ReasonKey(bot.PlatformSlack, answer, cb.User.ID),
		})
	}
	switch {
	case errors.Is(err, bot.ErrDuplicateVote):
		a.ephemeral(ctx, cb, "You already told me what was wrong with this answer: thanks.")
	case err != nil:
		a.log.WarnContext(ctx, "slack reason not recorded", "err", err)
		a.ephemeral(ctx, cb, "Sorry, I couldn't record that.")
	default:
		a.log.InfoContext(ctx, "slack reason recorded", "reason", code)
		a.ephemeral(ctx, cb, "Thanks: noted ("+label+").")
	}
}

// answerID identifies the message a vote button belongs to: its channel
// and ts, or (without them) the interaction's trigger id, which a replay
// repeats.
func answerID(cb slack.InteractionCallback) string {
	channel, ts := cb.Container.ChannelID, cb.Container.MessageTs
	if channel == "" {
		channel = cb.Channel.ID
	}
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	if channel != "" && ts != "" {
		return channel + ":" + ts
	}
	return "trigger:" + cb.TriggerID
}

// ephemeral shows text to the user behind an interaction only: with
// chat.postEphemeral in the message's thread, else through response_url.
func (a *Adapter) ephemeral(ctx context.Context, cb slack.InteractionCallback, text string) {
	a.ephemeralBlocks(ctx, cb, text, nil)
}

// ephemeralBlocks is ephemeral with blocks (text is their fallback).
func (a *Adapter) ephemeralBlocks(ctx context.Context, cb slack.InteractionCallback, text string, blocks []slack.Block) {
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	thread := cb.Container.ThreadTs
	if thread == "" {
		thread = cb.Message.ThreadTimestamp
	}
	if channel != "" && cb.User.ID != "" {
		opts := []slack.MsgOption{slack.MsgOptionText(EscapeText(text), false)}
		if len(blocks) > 0 {
			opts = append(opts, slack.MsgOptionBlocks(blocks...))
		}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		_, err := a.api.PostEphemeralContext(ctx, channel, cb.User.ID, opts...)
		if err == nil {
			return
		}
		if cb.ResponseURL == "" {
			a.failed(ctx, "chat.postEphemeral", channel, err)
			return
		}
		a.log.WarnContext(ctx, "slack chat.postEphemeral failed; using response_url", "channel", channel, "err", err)
	}
	a.respond(ctx, cb.ResponseURL, commandResponse{ResponseType: ephemeral, Text: EscapeText(text), Blocks: blocks})
}

// help is /brief help: the digest subcommands are listed when the
// server has digests.
func (a *Adapter) help() string {
	h := helpText
	if a.channels != nil {
		h += "\n• `/brief settings` shows how I answer in this channel; admins can change it"
	}
	if a.digests == nil {
		return h
	}
	return h + digestHelp
}

// settingsUsage explains /brief settings.
const settingsUsage = "Usage: `/brief settings [answer=on|threads|mentions|all|off] [private=on|off] [collections=NAME,NAME|all]`. " +
	"answer: *threads* (mentions, and replies in threads I answered in), *mentions* (mentions only), " +
	"*all* (every question asked here), *off* (nothing). private: answers to `/brief` visible to the asker only. " +
	"collections: quote only articles ingested with these `--collection` labels (`all`: every article)."

// settingsCommand shows (without arguments) or changes the channel's
// settings. Changing them is for the admins named in the configuration and
// the workspace's admins and owners.
func (a *Adapter) settingsCommand(ctx context.Context, cmd slack.SlashCommand, args []string) commandResponse {
	if a.channels == nil || cmd.ChannelID == "" {
		return responseOf(ephemeral, RenderText("Channel settings are not available on this briefbot."))
	}
	def := a.defaultAnswer
	if def == "" {
		def = bot.AnswerThreads
	}
	cur := a.channels.Get(bot.PlatformSlack, cmd.ChannelID)
	if len(args) == 0 {
		text := "In this channel: " + cur.Describe(def)
		if f := a.channels.Fixed(bot.PlatformSlack, cmd.ChannelID); len(f) > 0 {
			text += " (" + strings.Join(f, " and ") + " set in the configuration file)"
		}
		return responseOf(ephemeral, RenderText(EscapeText(text)+"\n"+settingsUsage))
	}
	var change bot.ChannelSettings
	for _, arg := range args {
		if k, v, ok := strings.Cut(arg, "="); ok && strings.EqualFold(k, "collections") {
			change.Collections = []string{}
			if !strings.EqualFold(v, "all") {
				for _, c := range strings.Split(v, ",") {
					if c = strings.TrimSpace(c); c != "" {
						change.Collections = append(change.Collections, c)
					}
				}
			}
			continue
		}
		k, v, ok := strings.Cut(strings.ToLower(arg), "=")
		switch {
		case ok && k == "answer":
			change.Answer = v
		case ok && k == "private" && (v == "on" || v == "true" || v == "yes"):
			on := true
			change.Private = &on
		case ok && k == "private" && (v == "off" || v == "false" || v == "no"):
			off := false
			change.Private = &off
		default:
			return responseOf(ephemeral, RenderText(settingsUsage))
		}
	}
	if err := change.Check(); err != nil {
		return responseOf(ephemeral, RenderText(settingsUsage))
	}
	if !a.mayChangeSettings(ctx, cmd.UserID) {
		return responseOf(ephemeral, RenderText("Only workspace admins and the admins named in briefbot's configuration may change this channel's settings."))
	}
	got, err := a.channels.Set(bot.PlatformSlack, cmd.ChannelID, change)
	if err != nil {
		a.log.WarnContext(ctx, "slack settings not changed", "channel", cmd.ChannelID, "err", err)
		return responseOf(ephemeral, RenderText(EscapeText("I couldn't change the settings: "+err.Error()+".")))
	}
	a.log.InfoContext(ctx, "slack channel settings changed", "channel", cmd.ChannelID, "answer", got.Mode(def), "private", got.IsPrivate())
	return responseOf(inChannel, RenderText(EscapeText("Settings changed. In this channel: "+got.Describe(def))))
}

// mayChangeSettings reports whether user may change channel settings: an
// admin named in the configuration, or a workspace admin or owner
// (users.info; without the users:read scope only the named admins may).
func (a *Adapter) mayChangeSettings(ctx context.Context, user string) bool {
	if user == "" {
		return false
	}
	if a.admins[user] {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, reactTimeout)
	defer cancel()
	u, err := a.api.GetUserInfoContext(ctx, user)
	if err != nil {
		a.log.WarnContext(ctx, "slack: users.info failed; only the configured admins may change settings", "err", err)
		return false
	}
	return u.IsAdmin || u.IsOwner || u.IsPrimaryOwner
}
