package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/retrieval"
)

// Names of the digest slash commands (DigestCommands).
const (
	CommandDigest      = "digest"
	CommandSubscribe   = "subscribe"
	CommandUnsubscribe = "unsubscribe"
)

// DigestCommands returns /digest (an ephemeral preview of the channel's
// digest), /subscribe [time:HH:MM] [timezone:Area/City] and /unsubscribe,
// served through d; pass them in Options.Commands. /subscribe and
// /unsubscribe are by default available to members who may manage the
// channel (server admins can change that in the integration settings).
func DigestCommands(d digest.Commands) []Command {
	manage := int64(discordgo.PermissionManageChannels)
	return []Command{
		{
			Definition: &discordgo.ApplicationCommand{
				Name:        CommandDigest,
				Description: "Preview this channel's digest of the briefings now (only you see it)",
				Options:     []*discordgo.ApplicationCommandOption{},
			},
			Ephemeral: true,
			Handle: func(ctx context.Context, inv Invocation) (Message, error) {
				if inv.ChannelID == "" {
					return Message{Content: "I can't tell which channel this is.", Ephemeral: true}, nil
				}
				dg, err := d.Preview(ctx, digest.Target{Platform: bot.PlatformDiscord, Channel: inv.ChannelID})
				if err != nil {
					return Message{}, err
				}
				m := RenderDigest(dg)
				m.Content = Truncate("*Preview, visible only to you: nothing was posted.*\n"+m.Content, MaxContent)
				m.Ephemeral = true
				return m, nil
			},
		},
		{
			Definition: &discordgo.ApplicationCommand{
				Name:                     CommandSubscribe,
				Description:              "Post the daily digest of the briefings in this channel (default 08:00 UTC)",
				DefaultMemberPermissions: &manage,
				Options: []*discordgo.ApplicationCommandOption{
					{
						Type:        discordgo.ApplicationCommandOptionString,
						Name:        "time",
						Description: "Local time of day, HH:MM (default 08:00)",
						MaxLength:   5,
					},
					{
						Type:        discordgo.ApplicationCommandOptionString,
						Name:        "timezone",
						Description: "IANA time zone, e.g. Europe/Kyiv (default UTC)",
						MaxLength:   64,
					},
				},
			},
			Handle: func(ctx context.Context, inv Invocation) (Message, error) {
				if inv.ChannelID == "" {
					return Message{Content: "I can't tell which channel this is.", Ephemeral: true}, nil
				}
				if why := cannotPost(inv.Interaction); why != "" {
					return Message{Content: why, Ephemeral: true}, nil
				}
				sub := digest.Subscription{
					Platform: bot.PlatformDiscord, Channel: inv.ChannelID,
					At: strings.TrimSpace(inv.String("time")), Timezone: strings.TrimSpace(inv.String("timezone")),
				}
				got, err := d.Subscribe(ctx, sub)
				if errors.Is(err, digest.ErrBadSubscription) {
					return Message{Content: userError(err), Ephemeral: true}, nil
				}
				if err != nil {
					return Message{}, err
				}
				return Message{Content: digest.SubscribedText(got)}, nil
			},
		},
		{
			Definition: &discordgo.ApplicationCommand{
				Name:                     CommandUnsubscribe,
				Description:              "Stop the daily digest in this channel",
				DefaultMemberPermissions: &manage,
				Options:                  []*discordgo.ApplicationCommandOption{},
			},
			Handle: func(ctx context.Context, inv Invocation) (Message, error) {
				removed, err := d.Unsubscribe(ctx, digest.Target{Platform: bot.PlatformDiscord, Channel: inv.ChannelID})
				if errors.Is(err, digest.ErrBadSubscription) {
					return Message{Content: userError(err), Ephemeral: true}, nil
				}
				if err != nil {
					return Message{}, err
				}
				if !removed {
					return Message{Content: digest.NotSubscribedText, Ephemeral: true}, nil
				}
				return Message{Content: digest.UnsubscribedText}, nil
			},
		},
	}
}

// postPermissions are what posting a digest in a channel needs.
const postPermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionEmbedLinks

// cannotPost says why the bot could not post a digest where i was invoked,
// from the permissions Discord says the application has there
// (app_permissions), or "" when it can (or when Discord sent none).
func cannotPost(i *discordgo.Interaction) string {
	if i == nil || i.GuildID == "" || i.AppPermissions == 0 {
		return ""
	}
	have := i.AppPermissions
	if have&discordgo.PermissionAdministrator != 0 || have&postPermissions == postPermissions {
		return ""
	}
	return "I can't post in this channel (I need View Channel, Send Messages and Embed Links here; in a private channel, add me to its permissions), so I couldn't deliver the digest. Give me those permissions, then subscribe again."
}

// userError is the sentence of a digest.ErrBadSubscription, for the user.
func userError(err error) string {
	msg, _ := digest.SubscriptionErrorText(err, "That subscription cannot be scheduled.")
	return NeutralizeMentions(msg)
}

// PostDigest posts d to a channel as RenderDigest renders it, with
// allowed_mentions forbidding every ping. With digest.PosterFunc it is a
// digest.Poster.
func (a *Adapter) PostDigest(ctx context.Context, channelID string, d digest.Digest) error {
	return a.PostMessage(ctx, channelID, RenderDigest(d))
}

var _ digest.AdapterPoster = (*Adapter)(nil)

// PostDigestID is PostDigest, also returning the message's id (a
// cluster's digest ledger records it).
func (a *Adapter) PostDigestID(ctx context.Context, channelID string, d digest.Digest) (string, error) {
	return a.PostMessageID(ctx, channelID, RenderDigest(d))
}

// digestColor is the accent bar of digest embeds for new stories; follow-ups
// use followUpColor.
const (
	digestColor   = 0x10B981
	followUpColor = 0x9CA3AF
)

// RenderDigest renders a digest within Discord's limits: a header line
// (date, article and story counts) as the content, then one embed per
// story: the headline as title, the key sentences as block quotes each
// followed by its citation (the title linked to the URL when known, else
// title, source, date and article id), and a footer saying new or
// follow-up and how many sources reported it. Stories that do not fit
// (10 embeds, 6,000 characters across them) are dropped from the end and
// counted in the content. All article text has its mentions neutralised;
// an empty digest is one line.
func RenderDigest(d digest.Digest) Message {
	if d.Empty() {
		return TrimMessage(Message{Content: NeutralizeMentions(d.EmptyText())})
	}
	head := fmt.Sprintf("📰 **Digest for %s** · %s · %s · %s", d.Date, digest.Plural(d.Articles, "article"), digest.Plural(len(d.Stories), "story"), windowLabel(d))
	var embeds []*discordgo.MessageEmbed
	total := 0
	for i, s := range d.Stories {
		e := trimEmbed(storyEmbed(i, s))
		n := embedLen(e)
		if len(embeds) == MaxEmbeds || total+n > MaxEmbedsTotal {
			head += fmt.Sprintf("\n… and %s", digest.Plural(len(d.Stories)-i, "more story"))
			break
		}
		embeds = append(embeds, e)
		total += n
	}
	return TrimMessage(Message{Content: NeutralizeMentions(head), Embeds: embeds})
}

// storyEmbed renders one story as an embed.
func storyEmbed(i int, s digest.Story) *discordgo.MessageEmbed {
	mark, color := "new", digestColor
	if !s.New {
		mark, color = "follow-up", followUpColor
	}
	var desc strings.Builder
	for _, sn := range s.Sentences {
		part := blockQuote(EscapeMarkdown(oneLine(sn.Text))) + "\n— " + citationLine(sn.Article)
		if desc.Len() > 0 {
			part = "\n\n" + part
		}
		if Len(desc.String())+Len(part) > MaxEmbedDescription {
			if desc.Len() == 0 {
				desc.WriteString(Truncate(part, MaxEmbedDescription))
			}
			break
		}
		desc.WriteString(part)
	}
	return &discordgo.MessageEmbed{
		Type:        discordgo.EmbedTypeRich,
		Title:       Truncate(fmt.Sprintf("%d. %s", i+1, EscapeMarkdown(oneLine(s.Headline))), MaxEmbedTitle),
		Description: desc.String(),
		Color:       color,
		Footer:      &discordgo.MessageEmbedFooter{Text: mark + " · " + digest.Plural(s.Sources, "source")},
	}
}

// citationLine cites an article: its title linked to its URL when known,
// else its title, source, date and id.
func citationLine(c retrieval.ArticleMeta) string {
	title := Truncate(oneLine(c.Title), 200)
	var parts []string
	if linkURL(c.URL) != "" {
		label := title
		if label == "" {
			label = Truncate(c.ID, 200)
		}
		parts = append(parts, maskedLink(label, c.URL))
	} else if title != "" {
		parts = append(parts, "*"+EscapeMarkdown(title)+"*")
	}
	if c.Source != "" {
		parts = append(parts, EscapeMarkdown(Truncate(oneLine(c.Source), 200)))
	}
	if p := c.PublishedString(); p != "" {
		parts = append(parts, p)
	}
	if linkURL(c.URL) == "" {
		parts = append(parts, "`"+strings.ReplaceAll(Truncate(c.ID, 200), "`", "'")+"`")
	}
	return strings.Join(parts, " · ")
}

// windowLabel says what a digest's window covers, for its header.
func windowLabel(d digest.Digest) string {
	switch {
	case d.Window.Day != "":
		return d.Timezone
	case d.Window.All:
		return d.Window.Label()
	}
	return d.Window.Label() + ", " + d.Timezone
}
