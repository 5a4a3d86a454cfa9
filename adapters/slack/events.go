package slack

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/briefbot/briefbot/bot"
)

// eventsPayload is the outer Events API payload, over HTTP or inside a
// Socket Mode events_api envelope.
type eventsPayload struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	EventID   string          `json:"event_id"`
	Event     json.RawMessage `json:"event"`
}

// messageEvent holds the fields of an app_mention or message event that
// decide whether and where to answer.
type messageEvent struct {
	Type        string          `json:"type"`
	Subtype     string          `json:"subtype"`
	User        string          `json:"user"`
	BotID       string          `json:"bot_id"`
	Text        string          `json:"text"`
	TS          string          `json:"ts"`
	ThreadTS    string          `json:"thread_ts"`
	Channel     string          `json:"channel"`
	ChannelType string          `json:"channel_type"`
	Edited      json.RawMessage `json:"edited"`
	Hidden      bool            `json:"hidden"`
}

// question is a message to answer: where, and with what text.
type question struct {
	channel  string
	threadTS string // "" answers at the top of the channel
	user     string
	text     string // Slack mrkdwn, mentions included
	ts       string // the question's own message, which gets the working reaction

	eventID  string // for logs
	eventKey string // the delivery's dedupe key ("" without an event_id)
	msgKey   string // the message's dedupe key, whose claim keeps the question
}

// pendingQuestion is what the claim of a message keeps in the dedupe log
// so that, should this process stop before the answer is posted, the next
// one answers it.
type pendingQuestion struct {
	EventID  string `json:"e,omitempty"`
	Channel  string `json:"c"`
	ThreadTS string `json:"th,omitempty"`
	User     string `json:"u"`
	Text     string `json:"x"`
	TS       string `json:"ts,omitempty"`
}

// onEvent handles one event delivery (after the transport has verified and
// acknowledged it): it drops duplicates and what is not for the bot, and
// queues an answer. The delivery and its message are claimed here and
// marked done once Slack has confirmed the answer.
func (a *Adapter) onEvent(ctx context.Context, p eventsPayload, via string) {
	if p.Type != "event_callback" {
		a.log.DebugContext(ctx, "slack payload ignored", "type", p.Type, "via", via)
		return
	}
	eventKey := ""
	if p.EventID != "" {
		eventKey = "event:" + p.EventID
		if !a.claim(ctx, eventKey, nil) {
			a.log.InfoContext(ctx, "slack duplicate delivery dropped", "event_id", p.EventID, "via", via)
			return
		}
	}
	var ev messageEvent
	if err := json.Unmarshal(p.Event, &ev); err != nil {
		a.log.WarnContext(ctx, "slack event undecodable", "event_id", p.EventID, "err", err)
		a.done(ctx, eventKey)
		return
	}
	q, ok := a.toQuestion(ev)
	if !ok {
		a.done(ctx, eventKey)
		return
	}
	q.eventID, q.eventKey, q.msgKey = p.EventID, eventKey, "msg:"+ev.Channel+":"+ev.TS
	data, err := json.Marshal(pendingQuestion{EventID: p.EventID, Channel: q.channel, ThreadTS: q.threadTS, User: q.user, Text: q.text, TS: q.ts})
	if err != nil {
		data = nil // cannot happen with strings; the claim then only dedupes
	}
	// An @mention arrives as app_mention and again as message (the twin),
	// under two event ids: answer the message once.
	if !a.claim(ctx, q.msgKey, data) {
		a.log.InfoContext(ctx, "slack mention twin dropped", "event_id", p.EventID, "type", ev.Type)
		a.release(eventKey) // the message's owner answers; should it fail, this delivery's retry may
		return
	}
	a.log.InfoContext(ctx, "slack question", "event_id", p.EventID, "type", ev.Type, "channel", ev.Channel, "via", via)
	a.queue(ctx, q)
}

// queue answers q on the pool.
func (a *Adapter) queue(ctx context.Context, q question) {
	if !a.pool.Go(func(ctx context.Context) { a.answer(ctx, q) }, func() { a.dropped(q, "cancelled before it started") }) {
		if a.pool.Stopped() {
			a.dropped(q, "arrived during shutdown")
			return
		}
		a.release(q.eventKey)
		a.release(q.msgKey)
		a.refused(ctx, q.channel)
	}
}

// redeliver answers the questions a previous run accepted and never
// answered (it crashed, or its shutdown ran out of time): their claims are
// in the dedupe log with the question. Each is claimed again first, so a
// retry of it from Slack arriving meanwhile is not answered twice.
func (a *Adapter) redeliver(ctx context.Context) {
	for _, p := range a.dedupe.Pending("slack:msg:") {
		var pq pendingQuestion
		if err := json.Unmarshal(p.Data, &pq); err != nil || pq.Channel == "" {
			continue
		}
		key := strings.TrimPrefix(p.Key, "slack:")
		if !a.claim(ctx, key, nil) {
			continue
		}
		q := question{channel: pq.Channel, threadTS: pq.ThreadTS, user: pq.User, text: pq.Text, ts: pq.TS, eventID: pq.EventID, msgKey: key}
		if pq.EventID != "" {
			q.eventKey = "event:" + pq.EventID
		}
		a.log.InfoContext(ctx, "slack answering a question a previous run accepted", "event_id", pq.EventID, "channel", pq.Channel,
			"age_s", int(a.now().Sub(p.First).Seconds()))
		a.queue(ctx, q)
	}
}

// claim claims key (see bot.Deduper.Claim), counting a duplicate. A
// deduper failure is logged and the delivery answered: a rare duplicate
// beats a lost answer.
func (a *Adapter) claim(ctx context.Context, key string, data json.RawMessage) bool {
	ok, err := a.dedupe.Claim("slack:"+key, data)
	if err != nil {
		a.log.ErrorContext(ctx, "slack dedupe failed", "err", err)
	}
	if !ok && err == nil {
		a.obs.Deduplicated(bot.PlatformSlack)
	}
	return ok || err != nil
}

// done marks key done; "" is no key.
func (a *Adapter) done(ctx context.Context, key string) {
	if key == "" {
		return
	}
	if err := a.dedupe.Done("slack:" + key); err != nil {
		a.log.ErrorContext(ctx, "slack dedupe failed", "err", err)
	}
}

// release gives up this process's claim of key; "" is no key.
func (a *Adapter) release(key string) {
	if key != "" {
		a.dedupe.Release("slack:" + key)
	}
}

// dropped logs and counts an accepted question left unanswered by
// shutdown. Its claim stays in the dedupe log: Slack's retry or the next
// start answers it.
func (a *Adapter) dropped(q question, why string) {
	bot.ObserveDropped(a.obs, bot.PlatformSlack)
	a.log.Warn("slack answer dropped at shutdown; left for Slack's retry or the next start",
		"event_id", q.eventID, "channel", q.channel, "why", why)
	a.release(q.eventKey)
	a.release(q.msgKey)
}

// toQuestion decides whether an event is a question for the bot: an
// app_mention (answered in its thread) or a direct message (answered in
// the DM). Bot messages (the bot's own included), edits, joins and other
// subtypes are not; neither is a channel message, which for the bot is only
// ever the twin of an app_mention.
func (a *Adapter) toQuestion(ev messageEvent) (question, bool) {
	selfUID := a.knownSelf()
	switch {
	case ev.BotID != "" || ev.Hidden || ev.User == "" || ev.Channel == "" || ev.TS == "":
		return question{}, false
	case ev.Subtype != "" && ev.Subtype != "thread_broadcast":
		return question{}, false
	case len(ev.Edited) > 0 && string(ev.Edited) != "null":
		return question{}, false
	case selfUID != "" && ev.User == selfUID:
		return question{}, false
	}
	q := question{channel: ev.Channel, user: ev.User, text: ev.Text, ts: ev.TS}
	switch {
	case ev.Type == "app_mention" && a.mode(ev.Channel) == bot.AnswerOff:
		a.log.Debug("slack mention ignored: the channel is set to answer nothing", "channel", ev.Channel)
		return question{}, false
	case ev.Type == "app_mention":
		q.threadTS = ev.ThreadTS
		if q.threadTS == "" {
			q.threadTS = ev.TS
		}
	case ev.Type == "message" && (ev.ChannelType == "im" || (ev.ChannelType == "" && strings.HasPrefix(ev.Channel, "D"))):
		q.threadTS = ev.ThreadTS // a DM is answered in the DM, in its thread if it has one
	case ev.Type == "message" && a.isFollowUp(ev):
		q.threadTS = ev.ThreadTS // a reply in a thread the bot answered in
	case ev.Type == "message" && a.mode(ev.Channel) == bot.AnswerAll && isQuestion(ev.Text) &&
		!(selfUID != "" && strings.Contains(ev.Text, "<@"+selfUID)):
		// Every question in the channel, answered in its thread (a mention
		// is answered as the app_mention).
		q.threadTS = ev.ThreadTS
		if q.threadTS == "" {
			q.threadTS = ev.TS
		}
	case ev.Type == "message":
		if strings.Contains(ev.Text, "<@") && (selfUID == "" || strings.Contains(ev.Text, "<@"+selfUID)) {
			a.obs.Deduplicated(bot.PlatformSlack) // the twin of an app_mention
		}
		return question{}, false
	default:
		return question{}, false
	}
	return q, true
}

// conversationKey names the conversation a question belongs to: its
// thread, or the DM itself for a question at the top of a DM.
func conversationKey(channel, threadTS string) string {
	return "slack:" + channel + ":" + threadTS
}

// isFollowUp reports whether a channel message is a reply in a thread the
// bot answered in (and such replies are answered). With a mention of the
// bot it is also the twin of an app_mention: both claim the message, so it
// is answered once.
func (a *Adapter) isFollowUp(ev messageEvent) bool {
	m := a.mode(ev.Channel)
	return (m == bot.AnswerThreads || m == bot.AnswerAll) && a.convs != nil && ev.ThreadTS != "" && ev.ThreadTS != ev.TS &&
		a.convs.Has(conversationKey(ev.Channel, ev.ThreadTS))
}

// isQuestion reports whether a channel message asks something: it ends
// with a question mark (trailing markup and emoji aside).
func isQuestion(text string) bool {
	t := strings.TrimRight(plainText(text), " \t\n!.)\"'")
	return strings.HasSuffix(t, "?") && len(strings.Fields(t)) >= 2
}

// answer answers q where it was asked and marks it done once Slack has
// confirmed the post. An answer that could not be posted releases its
// claim (Slack's retry, or the next start, answers it).
func (a *Adapter) answer(ctx context.Context, q question) {
	ctx, cancel := context.WithTimeout(ctx, a.ansLimit)
	defer cancel()
	// 👀 on the question while it is worked on, taken off once the answer
	// is posted (or has failed): the asker sees at once that briefbot is on
	// it, and never a reaction left behind by an answer that is not coming.
	if a.react(ctx, "reactions.add", q) {
		defer a.react(context.WithoutCancel(ctx), "reactions.remove", q)
	}
	if a.ready != nil {
		select { // the store is still loading: wait rather than answer "search failed"
		case <-a.ready:
		case <-ctx.Done():
		}
	}
	selfUID, _, err := a.self(ctx)
	if err != nil {
		a.log.WarnContext(ctx, "slack auth.test failed; answering without knowing the bot's id", "err", err)
	}
	if selfUID != "" && q.user == selfUID {
		a.done(ctx, q.msgKey) // the bot's own message, seen before auth.test had answered
		a.done(ctx, q.eventKey)
		return
	}
	var history []bot.Turn
	if a.convs != nil {
		history = a.convs.Get(conversationKey(q.channel, q.threadTS))
	}
	m, ans := a.reply(ctx, q.channel, questionText(q.text, selfUID), history, RenderOptions{Votes: a.votes != nil})
	if _, err := a.postMessage(ctx, q.channel, q.threadTS, m); err != nil {
		if a.pool.Context().Err() != nil {
			a.dropped(q, "cancelled while answering")
			return
		}
		a.release(q.eventKey) // first: a retry may follow the failure at once
		a.release(q.msgKey)
		a.failed(ctx, "chat.postMessage", q.channel, err)
		return
	}
	a.done(ctx, q.msgKey)
	a.done(ctx, q.eventKey)
	if a.convs != nil && ans != nil {
		if err := a.convs.Append(conversationKey(q.channel, q.threadTS), ans.Turn()); err != nil {
			a.log.WarnContext(ctx, "slack conversation not saved", "channel", q.channel, "err", err)
		}
	}
}

// refused logs and counts a question that could not be queued.
func (a *Adapter) refused(ctx context.Context, channel string) {
	a.obs.DeliveryFailed(bot.PlatformSlack)
	a.log.ErrorContext(ctx, "slack question refused: too many waiting", "channel", channel)
}

var (
	slackMarkup    = regexp.MustCompile(`<([^<>]*)>`)
	leadingMention = regexp.MustCompile(`^\s*<@[A-Z0-9]+(\|[^>]*)?>`)
	entityUnescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// questionText turns a mention or DM into the plain question: the bot's
// mentions go (the leading mention when the bot's id is unknown), then
// the markup is made plain.
func questionText(text, selfUID string) string {
	if selfUID == "" {
		return plainText(leadingMention.ReplaceAllString(text, ""))
	}
	text = slackMarkup.ReplaceAllStringFunc(text, func(m string) string {
		target, _, _ := strings.Cut(m[1:len(m)-1], "|")
		if target == "@"+selfUID {
			return ""
		}
		return m
	})
	return plainText(text)
}

// plainText turns Slack markup into plain text: links become their label
// or URL, mentions and channels their readable form, entities are
// unescaped and whitespace collapsed.
func plainText(text string) string {
	text = slackMarkup.ReplaceAllStringFunc(text, func(m string) string {
		target, label, hasLabel := strings.Cut(m[1:len(m)-1], "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if hasLabel {
				return "@" + label
			}
			return target
		case strings.HasPrefix(target, "#"):
			if hasLabel {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			if hasLabel {
				return label
			}
			name, _, _ := strings.Cut(target[1:], "^")
			return "@" + name
		case hasLabel:
			return label
		default:
			return target
		}
	})
	return strings.Join(strings.Fields(entityUnescape.Replace(text)), " ")
}
