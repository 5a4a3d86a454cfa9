package discord

import (
	"context"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
)

// CommandSettings is the /brief settings subcommand.
const CommandSettings = "settings"

// describeSettings says a channel's settings in one line (Discord answers
// only the slash command: "answer" is on or off; any stored value but
// off, such as the "threads" answer:on stored before, is on).
func describeSettings(s bot.ChannelSettings) string {
	state := "I answer `/brief ask` here"
	if s.Answer == bot.AnswerOff {
		state = "I'm switched off here (`/brief ask` is refused)"
	}
	vis := "visible to the channel"
	if s.IsPrivate() {
		vis = "visible only to the asker"
	}
	scope := ""
	if len(s.Collections) > 0 {
		scope = "; I quote only the collections " + strings.Join(s.Collections, ", ")
	}
	return state + "; answers are " + vis + scope + "."
}

// settingsCommand is /brief settings [answer:on|off] [private:true|false]:
// without options it shows the channel's settings; with them it changes
// them (members with Manage Channels; the configuration file wins for what
// it sets).
func settingsCommand(ch *bot.Channels) Command {
	manage := int64(discordgo.PermissionManageChannels)
	return Command{
		Definition: &discordgo.ApplicationCommand{
			Name:        CommandSettings,
			Description: "Show or change how I answer in this channel",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "answer", Description: "Answer /brief ask here (on) or not (off)",
					Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "on", Value: "on"}, {Name: "off", Value: "off"}}},
				{Type: discordgo.ApplicationCommandOptionBoolean, Name: "private", Description: "Answers visible only to the asker"},
				{Type: discordgo.ApplicationCommandOptionString, Name: "collections", Description: "Quote only these collections (comma-separated), or all", MaxLength: 500},
			},
		},
		Ephemeral: true,
		Handle: func(_ context.Context, inv Invocation) (Message, error) {
			if ch == nil {
				return Message{Content: "Channel settings are not available on this briefbot.", Ephemeral: true}, nil
			}
			if inv.ChannelID == "" {
				return Message{Content: "I can't tell which channel this is.", Ephemeral: true}, nil
			}
			var change bot.ChannelSettings
			switch inv.String("answer") {
			case "on":
				change.Answer = bot.AnswerOn // not "threads": Discord has none in that sense
			case "off":
				change.Answer = bot.AnswerOff
			}
			if o, ok := inv.Options["private"]; ok && o != nil {
				if b, ok := o.Value.(bool); ok {
					change.Private = &b
				}
			}
			if v := strings.TrimSpace(inv.String("collections")); v != "" {
				change.Collections = []string{}
				if !strings.EqualFold(v, "all") {
					for _, c := range strings.Split(v, ",") {
						if c = strings.TrimSpace(c); c != "" {
							change.Collections = append(change.Collections, c)
						}
					}
				}
			}
			if change.Answer == "" && change.Private == nil && change.Collections == nil {
				text := "In this channel: " + describeSettings(ch.Get(bot.PlatformDiscord, inv.ChannelID))
				if f := ch.Fixed(bot.PlatformDiscord, inv.ChannelID); len(f) > 0 {
					text += " (" + strings.Join(f, " and ") + " set in the configuration file)"
				}
				return Message{Content: text, Ephemeral: true}, nil
			}
			// Anyone may look; changing is for members with Manage Channels.
			need := &discordgo.ApplicationCommand{DefaultMemberPermissions: &manage}
			if inv.Interaction == nil || !permitted(need, inv.Interaction) {
				return Message{Content: "Only members who can manage this channel may change its settings.", Ephemeral: true}, nil
			}
			got, err := ch.Set(bot.PlatformDiscord, inv.ChannelID, change)
			if err != nil {
				return Message{Content: "I couldn't change the settings: " + err.Error() + ".", Ephemeral: true}, nil
			}
			return Message{Content: "Settings changed. In this channel: " + describeSettings(got)}, nil
		},
	}
}
