package discord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
)

// CommandGroup is the one slash command briefbot registers: every command
// is a subcommand of it (/brief ask, /brief sources, /brief subscribe...),
// so that briefbot's names never collide with another application's
// generic /ask or /help.
const CommandGroup = "brief"

// Names of the built-in subcommands.
const (
	CommandAsk     = "ask"
	CommandSources = "sources"
	CommandHelp    = "help"
)

// sourcesLatest is how many recent titles /sources lists.
const sourcesLatest = 5

// Command is an extra subcommand of /brief registered and served next to
// the built-in ones (the digest feature adds /brief digest, /brief
// subscribe and /brief unsubscribe this way).
type Command struct {
	// Definition describes the subcommand: its Name routes invocations to
	// Handle, its Description and Options are registered (as a subcommand
	// of /brief) and its Description also appears in /brief help. Its
	// DefaultMemberPermissions, if set, is checked when a guild member
	// invokes it (Discord can only restrict whole commands, not
	// subcommands): a member without those permissions (or Administrator)
	// is refused.
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
	// Name is the subcommand's name (ask, sources...).
	Name string
	// Options holds the subcommand's options by name.
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

// Commands returns what the adapter registers: the one /brief command,
// whose subcommands are the built-in ones, then the extra ones from
// Options.Commands.
func (a *Adapter) Commands() []*discordgo.ApplicationCommand {
	defs := builtinCommands()
	for _, c := range a.extra {
		defs = append(defs, c.Definition)
	}
	subs := make([]*discordgo.ApplicationCommandOption, 0, len(defs))
	for _, d := range defs {
		subs = append(subs, &discordgo.ApplicationCommandOption{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        d.Name,
			Description: d.Description,
			Options:     d.Options,
		})
	}
	return []*discordgo.ApplicationCommand{{
		Name:        CommandGroup,
		Description: "Ask about the news briefings, list them, manage the daily digest",
		Options:     subs,
	}}
}

// invocationOf reads the subcommand of a /brief interaction (/brief alone
// is help). A top-level name registered by an older version (/ask) is read
// as that subcommand.
func invocationOf(i *discordgo.Interaction) Invocation {
	data := i.ApplicationCommandData()
	name, opts := data.Name, data.Options
	if name == CommandGroup {
		name, opts = CommandHelp, nil
		for _, o := range data.Options {
			if o != nil && o.Type == discordgo.ApplicationCommandOptionSubCommand {
				name, opts = o.Name, o.Options
				break
			}
		}
	}
	inv := Invocation{
		Name:        name,
		Options:     make(map[string]*discordgo.ApplicationCommandInteractionDataOption, len(opts)),
		UserID:      userID(i),
		ChannelID:   i.ChannelID,
		GuildID:     i.GuildID,
		Interaction: i,
	}
	for _, o := range opts {
		if o != nil {
			inv.Options[o.Name] = o
		}
	}
	return inv
}

// permitted reports whether the invoker holds the permissions def asks
// for (always true outside a guild, and for a definition that asks none).
func permitted(def *discordgo.ApplicationCommand, i *discordgo.Interaction) bool {
	if def == nil || def.DefaultMemberPermissions == nil || i.GuildID == "" {
		return true
	}
	if i.Member == nil {
		return false
	}
	need, have := *def.DefaultMemberPermissions, i.Member.Permissions
	return have&discordgo.PermissionAdministrator != 0 || have&need == need
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
