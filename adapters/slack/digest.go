package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
)

// digestHelp lists the digest subcommands in /brief help.
const digestHelp = "\n• `/brief digest` shows you a preview of this channel's digest now (only you see it)" +
	"\n• `/brief subscribe [HH:MM] [Area/City]` posts the digest here every day (default 08:00 UTC), e.g. `/brief subscribe 08:00 Europe/Kyiv`" +
	"\n• `/brief unsubscribe` stops the daily digest here"

// digestsOffText answers a digest subcommand on a server without digests.
const digestsOffText = "Digests are not set up on this briefbot."

// digestCommand answers /brief digest, subscribe and unsubscribe; args are
// the words after the subcommand, in their original case (zone names are
// case-sensitive).
func (a *Adapter) digestCommand(ctx context.Context, cmd slack.SlashCommand, sub string, args []string) commandResponse {
	if a.digests == nil {
		return responseOf(ephemeral, RenderText(digestsOffText))
	}
	target := digest.Target{Platform: bot.PlatformSlack, Channel: cmd.ChannelID}
	if cmd.ChannelID == "" {
		return responseOf(ephemeral, RenderText("I can't tell which channel this is: please try again from a channel."))
	}
	a.log.InfoContext(ctx, "slack digest command", "subcommand", sub, "channel", cmd.ChannelID)
	switch sub {
	case "digest":
		return a.within(ctx, cmd.ResponseURL, func(ctx context.Context) commandResponse {
			d, err := a.digests.Preview(ctx, target)
			if err != nil {
				a.log.ErrorContext(ctx, "slack digest preview failed", "err", err)
				return responseOf(ephemeral, RenderText(searchFailedText))
			}
			m := RenderDigestWithin(d, MaxBlocks-1)
			note := contextLine("_Preview, visible only to you: nothing was posted._")
			m.Blocks = append([]slack.Block{note}, m.Blocks...)
			return responseOf(ephemeral, m)
		})
	case "subscribe":
		s, err := parseSubscribe(args)
		if err != nil {
			return responseOf(ephemeral, RenderText(EscapeText(err.Error())))
		}
		s.Platform, s.Channel = target.Platform, target.Channel
		if why := a.cannotPost(ctx, cmd.ChannelID); why != "" {
			return responseOf(ephemeral, RenderText(why))
		}
		got, err := a.digests.Subscribe(ctx, s)
		if err != nil {
			a.log.WarnContext(ctx, "slack subscribe failed", "channel", cmd.ChannelID, "err", err)
			return responseOf(ephemeral, RenderText(EscapeText(userError(err, "subscribe"))))
		}
		a.log.InfoContext(ctx, "slack channel subscribed", "channel", cmd.ChannelID, "at", got.At, "timezone", got.Timezone)
		return responseOf(inChannel, RenderText(EscapeText(digest.SubscribedText(got))))
	default: // unsubscribe
		if len(args) > 0 {
			return responseOf(ephemeral, RenderText("`/brief unsubscribe` takes no arguments: it stops the daily digest in this channel."))
		}
		removed, err := a.digests.Unsubscribe(ctx, target)
		if err != nil {
			a.log.WarnContext(ctx, "slack unsubscribe failed", "channel", cmd.ChannelID, "err", err)
			return responseOf(ephemeral, RenderText(EscapeText(userError(err, "unsubscribe"))))
		}
		if !removed {
			return responseOf(ephemeral, RenderText(digest.NotSubscribedText))
		}
		a.log.InfoContext(ctx, "slack channel unsubscribed", "channel", cmd.ChannelID)
		return responseOf(inChannel, RenderText(digest.UnsubscribedText))
	}
}

// notMemberText refuses a subscription the bot could not deliver.
const notMemberText = "I'm not a member of this channel, so I couldn't post the digest here. Invite me first (`/invite @briefbot`), then subscribe again."

// cannotPost says why the bot could not post to channel (it is not a
// member: a private channel it was not invited to is "not found" to it),
// or "" when it can or when that cannot be checked (the app lacks the
// channels:read/groups:read scopes, Slack is unreachable): an unverifiable
// check never blocks a subscription, it is logged.
func (a *Adapter) cannotPost(ctx context.Context, channel string) string {
	ctx, cancel := context.WithTimeout(ctx, reactTimeout)
	defer cancel()
	ch, err := a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
	switch {
	case err == nil && (ch == nil || ch.ID == ""):
		err = errors.New("conversations.info returned no channel")
	case err == nil && (ch.IsMember || ch.IsIM):
		return ""
	case err == nil:
		return notMemberText
	case strings.Contains(err.Error(), "channel_not_found"):
		return notMemberText
	}
	a.log.WarnContext(ctx, "slack: could not check that the bot may post to the channel; subscribing anyway", "channel", channel, "err", err)
	return ""
}

// parseSubscribe reads the optional time (HH:MM) and time zone of
// /brief subscribe, in either order. Their validity is checked by
// Digests.Subscribe.
func parseSubscribe(args []string) (digest.Subscription, error) {
	var s digest.Subscription
	for _, arg := range args {
		switch {
		case looksLikeTime(arg) && s.At == "":
			s.At = arg
		case !looksLikeTime(arg) && s.Timezone == "":
			s.Timezone = arg
		default:
			//lint:ignore ST1005 the text is shown to the user as it is
			return s, errors.New("Usage: /brief subscribe [HH:MM] [time zone], e.g. /brief subscribe 08:00 Europe/Kyiv")
		}
	}
	return s, nil
}

// looksLikeTime reports whether arg is meant as a time of day (it has a
// colon or starts with a digit), as opposed to a zone name.
func looksLikeTime(arg string) bool {
	return strings.Contains(arg, ":") || (arg != "" && arg[0] >= '0' && arg[0] <= '9')
}

// userError is what the user reads when a subscription change failed.
func userError(err error, what string) string {
	msg, _ := digest.SubscriptionErrorText(err, fmt.Sprintf("Sorry, I couldn't %s this channel just now. Please try again in a moment.", what))
	return msg
}

// PostDigest posts d to channel: the Block Kit rendering of RenderDigest
// with its plain-text fallback. With digest.PosterFunc it is a
// digest.Poster.
func (a *Adapter) PostDigest(ctx context.Context, channel string, d digest.Digest) error {
	m := RenderDigest(d)
	_, err := a.post(ctx, channel, "", m)
	return err
}

var _ digest.AdapterPoster = (*Adapter)(nil)

// PostDigestID is PostDigest returning the posted message's ts (the
// digest ledger of a cluster records it).
func (a *Adapter) PostDigestID(ctx context.Context, channel string, d digest.Digest) (string, error) {
	return a.post(ctx, channel, "", RenderDigest(d))
}

// maxFallbackText bounds the plain-text fallback of a digest.
const maxFallbackText = 3000

// RenderDigest renders a digest within Slack's limits: a header line with
// the date and the article count, then per story its headline (bold), a
// new or follow-up marker and the source count, and each key sentence as a
// quoted section with its citation as a context line. Stories that do not
// fit in MaxBlocks are dropped from the end and counted in a last line. An
// empty digest is one line. All article text is escaped, so nothing in it
// mentions anyone.
func RenderDigest(d digest.Digest) Message {
	return RenderDigestWithin(d, MaxBlocks)
}

// RenderDigestWithin is RenderDigest with at most maxBlocks blocks (so that
// a caller can add its own).
func RenderDigestWithin(d digest.Digest, maxBlocks int) Message {
	if d.Empty() {
		line := EscapeText(d.EmptyText())
		return Message{Text: line, Blocks: []slack.Block{section(line)}}
	}
	head := fmt.Sprintf("*Digest for %s* · %s · %s", EscapeText(d.Date), digest.Plural(d.Articles, "article"), digest.Plural(len(d.Stories), "story"))
	if d.Window.Day == "" {
		head += fmt.Sprintf(" · %s, %s", EscapeText(d.Window.Label()), EscapeText(d.Timezone))
	} else {
		head += " · " + EscapeText(d.Timezone)
	}
	blocks := []slack.Block{section(head)}
	text := []string{fmt.Sprintf("Digest for %s: %s", EscapeText(d.Date), digest.Plural(len(d.Stories), "story"))}
	for i, s := range d.Stories {
		sb := storyBlocks(i, s)
		rest := len(d.Stories) - i - 1
		reserve := 0
		if rest > 0 {
			reserve = 1 // for the "… and N more stories" line
		}
		if len(blocks)+len(sb)+reserve > maxBlocks {
			more := len(d.Stories) - i
			blocks = append(blocks, contextLine(fmt.Sprintf("… and %s", digest.Plural(more, "more story"))))
			text = append(text, fmt.Sprintf("… and %s", digest.Plural(more, "more story")))
			break
		}
		blocks = append(blocks, sb...)
		text = append(text, fmt.Sprintf("%d. %s", i+1, fit(oneLine(s.Headline), maxTitle)))
	}
	return Message{Text: capText(text, "\n", maxFallbackText), Blocks: blocks}
}

// storyBlocks renders one story: a divider, the headline line, and a quote
// section and citation line per key sentence.
func storyBlocks(i int, s digest.Story) []slack.Block {
	mark := "new"
	if !s.New {
		mark = "follow-up"
	}
	prefix := fmt.Sprintf("*%d. ", i+1)
	suffix := fmt.Sprintf("*  `%s` · %s", mark, digest.Plural(s.Sources, "source"))
	headline := fit(oneLine(s.Headline), MaxSectionText-len(prefix)-len(suffix))
	out := []slack.Block{slack.NewDividerBlock(), section(prefix + headline + suffix)}
	for _, sn := range s.Sentences {
		out = append(out, section("> "+fit(oneLine(sn.Text), MaxSectionText-2)), contextLine(citation(sn.Article)))
	}
	return out
}
