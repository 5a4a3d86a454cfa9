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
}

// onEvent handles one event delivery (after the transport has verified and
// acknowledged it): it drops duplicates and what is not for the bot, and
// queues an answer.
func (a *Adapter) onEvent(ctx context.Context, p eventsPayload, via string) {
	if p.Type != "event_callback" {
		a.log.DebugContext(ctx, "slack payload ignored", "type", p.Type, "via", via)
		return
	}
	if p.EventID != "" && a.duplicate(ctx, "event:"+p.EventID) {
		a.log.InfoContext(ctx, "slack duplicate delivery dropped", "event_id", p.EventID, "via", via)
		return
	}
	var ev messageEvent
	if err := json.Unmarshal(p.Event, &ev); err != nil {
		a.log.WarnContext(ctx, "slack event undecodable", "event_id", p.EventID, "err", err)
		return
	}
	q, ok := a.toQuestion(ev)
	if !ok {
		return
	}
	// An @mention arrives as app_mention and again as message (the twin),
	// under two event ids: answer the message once.
	if a.duplicate(ctx, "msg:"+ev.Channel+":"+ev.TS) {
		a.log.InfoContext(ctx, "slack mention twin dropped", "event_id", p.EventID, "type", ev.Type)
		return
	}
	a.log.InfoContext(ctx, "slack question", "event_id", p.EventID, "type", ev.Type, "channel", ev.Channel, "via", via)
	if !a.work.spawn(func(ctx context.Context) { a.answer(ctx, q) }) {
		a.refused(ctx, q.channel)
	}
}

// duplicate reports (and counts) a key already seen. A deduper failure is
// logged and the delivery answered: a rare duplicate beats a lost answer.
func (a *Adapter) duplicate(ctx context.Context, key string) bool {
	seen, err := a.dedupe.Seen("slack:" + key)
	if err != nil {
		a.log.ErrorContext(ctx, "slack dedupe failed", "err", err)
	}
	if seen {
		a.obs.Deduplicated(bot.PlatformSlack)
	}
	return seen
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
	q := question{channel: ev.Channel, user: ev.User, text: ev.Text}
	switch {
	case ev.Type == "app_mention":
		q.threadTS = ev.ThreadTS
		if q.threadTS == "" {
			q.threadTS = ev.TS
		}
	case ev.Type == "message" && (ev.ChannelType == "im" || (ev.ChannelType == "" && strings.HasPrefix(ev.Channel, "D"))):
		q.threadTS = ev.ThreadTS // a DM is answered in the DM, in its thread if it has one
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

// answer answers q where it was asked.
func (a *Adapter) answer(ctx context.Context, q question) {
	ctx, cancel := context.WithTimeout(ctx, a.ansLimit)
	defer cancel()
	selfUID, _, err := a.self(ctx)
	if err != nil {
		a.log.WarnContext(ctx, "slack auth.test failed; answering without knowing the bot's id", "err", err)
	}
	if selfUID != "" && q.user == selfUID {
		return // the bot's own message, seen before auth.test had answered
	}
	m, _ := a.replyTo(ctx, questionText(q.text, selfUID), RenderOptions{Votes: a.votes != nil})
	_, _ = a.post(ctx, q.channel, q.threadTS, m) // a failure is logged and counted
}

// refused logs and counts a question that could not be queued.
func (a *Adapter) refused(ctx context.Context, channel string) {
	a.obs.DeliveryFailed(bot.PlatformSlack)
	a.log.ErrorContext(ctx, "slack question refused: shutting down or too many waiting", "channel", channel)
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
