package discord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
)

// Names of the built-in slash commands.
const (
	CommandAsk     = "ask"
	CommandSources = "sources"
	CommandHelp    = "help"
)

// sourcesLatest is how many recent titles /sources lists.
const sourcesLatest = 5

// Command is an extra slash command registered and served next to the
// built-in ones (the digest feature adds /digest, /subscribe and
// /unsubscribe this way).
type Command struct {
	// Definition is registered as is; its Name routes invocations to Handle.
	// Its Description also appears in /help.
	Definition *discordgo.ApplicationCommand
	// Handle answers one invocation. It runs like /ask: if it returns
	// quickly its Message is the reply, otherwise the reply is deferred and
	// then edited to the Message. An error is logged and the user told
	// briefly that the command failed; return a Message, not an error, for
	// a failure the user should read about.
	Handle func(ctx context.Context, inv Invocation) (Message, error)
	// Ephemeral makes a deferred reply visible to the invoker only (a
	// direct reply follows Message.Ephemeral).
	Ephemeral bool
}

// Invocation is one use of a slash command.
type Invocation struct {
	// Name is the command name, without the slash.
	Name string
	// Options holds the command's top-level options by name.
	Options map[string]*discordgo.ApplicationCommandInteractionDataOption
	// UserID is who invoked the command.
	UserID string
	// ChannelID and GuildID are where it was invoked (GuildID is empty in DMs).
	ChannelID string
	GuildID   string
	// Interaction is the raw interaction, for anything else.
	Interaction *discordgo.Interaction
}

// String returns the value of the string option name, or "" (also when
// the option's value is not a string: discordgo's StringValue would panic).
func (inv Invocation) String(name string) string {
	if o, ok := inv.Options[name]; ok && o != nil && o.Type == discordgo.ApplicationCommandOptionString {
		s, _ := o.Value.(string)
		return s
	}
	return ""
}

// errBadOption reports an option whose value does not have the type the
// command declares; its message is for the user.
type errBadOption struct{ name, want string }

func (e errBadOption) Error() string {
	return fmt.Sprintf("The option `%s` must be %s.", e.name, e.want)
}

// checkOptions checks that every option of inv that def declares carries a
// value of the declared type (Discord sends what the command declares, but
// a forged or broken client may not).
func checkOptions(def *discordgo.ApplicationCommand, inv Invocation) error {
	if def == nil {
		return nil
	}
	for _, d := range def.Options {
		o, ok := inv.Options[d.Name]
		if !ok || o == nil {
			continue
		}
		var good bool
		want := "text"
		switch d.Type {
		case discordgo.ApplicationCommandOptionString:
			_, good = o.Value.(string)
		case discordgo.ApplicationCommandOptionInteger, discordgo.ApplicationCommandOptionNumber:
			_, good = o.Value.(float64)
			want = "a number"
		case discordgo.ApplicationCommandOptionBoolean:
			_, good = o.Value.(bool)
			want = "true or false"
		default:
			good = true // ids (users, channels, roles) are read as strings where used
		}
		if !good || o.Type != d.Type {
			return errBadOption{name: d.Name, want: want}
		}
	}
	return nil
}

// builtinCommands are the commands every briefbot registers.
func builtinCommands() []*discordgo.ApplicationCommand {
	return []*discordgo.ApplicationCommand{
		{
			Name:        CommandAsk,
			Description: "Ask a question about the news briefings",
			Options: []*discordgo.ApplicationCommandOption{{
				Type:        discordgo.ApplicationCommandOptionString,
				Name:        "question",
				Description: "What do you want to know?",
				Required:    true,
				MaxLength:   bot.MaxQuestionLen,
			}},
		},
		{
			Name:        CommandSources,
			Description: "How many briefings I answer from, their dates and the latest titles",
			Options:     []*discordgo.ApplicationCommandOption{},
		},
		{
			Name:        CommandHelp,
			Description: "What I can do",
			Options:     []*discordgo.ApplicationCommandOption{},
		},
	}
}

// Commands returns every command the adapter registers: the built-in ones,
// then the extra ones from Options.Commands.
func (a *Adapter) Commands() []*discordgo.ApplicationCommand {
	cmds := builtinCommands()
	for _, c := range a.extra {
		cmds = append(cmds, c.Definition)
	}
	return cmds
}

func invocationOf(i *discordgo.Interaction) Invocation {
	data := i.ApplicationCommandData()
	inv := Invocation{
		Name:        data.Name,
		Options:     make(map[string]*discordgo.ApplicationCommandInteractionDataOption, len(data.Options)),
		UserID:      userID(i),
		ChannelID:   i.ChannelID,
		GuildID:     i.GuildID,
		Interaction: i,
	}
	for _, o := range data.Options {
		if o != nil {
			inv.Options[o.Name] = o
		}
	}
	return inv
}

func userID(i *discordgo.Interaction) string {
	switch {
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}
