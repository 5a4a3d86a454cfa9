package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/bot"
)

func (a *app) discordCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "discord",
		Short: "Discord administration",
	}
	var configPath string
	register := &cobra.Command{
		Use:   "register",
		Short: "Register the slash commands with Discord (one idempotent bulk overwrite)",
		Long: `Register briefbot's slash commands with Discord: globally, or in one guild (instant)
when DISCORD_GUILD_ID is set. serve does this at start too; run it by hand after
changing the application. Needs DISCORD_BOT_TOKEN and DISCORD_APP_ID.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(configPath, a.getenv)
			if err != nil {
				return exitError{code: 2, msg: err.Error()}
			}
			if !cfg.Discord.Enabled() {
				return exitError{code: 2, msg: "set DISCORD_BOT_TOKEN and DISCORD_APP_ID"}
			}
			// Registering needs no store: the command definitions are static.
			d, err := newDiscord(cfg.Discord, bot.New(&lazySearcher{}, bot.Options{}), nil, nil, nil)
			if err != nil {
				return err
			}
			if err := d.RegisterCommands(cmd.Context()); err != nil {
				return err
			}
			scope := "globally"
			if cfg.Discord.GuildID != "" {
				scope = "in guild " + cfg.Discord.GuildID
			}
			fmt.Fprintf(a.stdout, "registered briefbot's slash commands %s\n", scope)
			return nil
		},
	}
	register.Flags().StringVar(&configPath, "config", "", "YAML configuration file (environment variables override it)")
	cmd.AddCommand(register, a.discordUnregisterCmd())
	return cmd
}

func (a *app) discordUnregisterCmd() *cobra.Command {
	var configPath, guild string
	var global, all bool
	cmd := &cobra.Command{
		Use:   "unregister",
		Short: "Remove stale slash commands (or all of briefbot's) from Discord",
		Long: `Remove slash commands registered by an older briefbot (/ask, /sources, /help,
/digest, /subscribe, /unsubscribe: everything but /brief), or with --all every
command of the application, in one scope: the guild DISCORD_GUILD_ID when set,
else global; --guild ID or --global names the scope. Commands left in a guild
after switching to global registration (or the reverse) are removed by naming
that scope. Needs DISCORD_BOT_TOKEN and DISCORD_APP_ID.`,
		Example: `  briefbot discord unregister              # stale commands in the configured scope
  briefbot discord unregister --guild 1234  # stale commands in guild 1234
  briefbot discord unregister --global --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if global && guild != "" {
				return exitError{code: 2, msg: "--global and --guild name different scopes: give one"}
			}
			cfg, err := readConfig(configPath, a.getenv)
			if err != nil {
				return exitError{code: 2, msg: err.Error()}
			}
			if !cfg.Discord.Enabled() {
				return exitError{code: 2, msg: "set DISCORD_BOT_TOKEN and DISCORD_APP_ID"}
			}
			scope := cfg.Discord.GuildID
			if guild != "" {
				scope = guild
			}
			if global {
				scope = ""
			}
			d, err := newDiscord(cfg.Discord, bot.New(&lazySearcher{}, bot.Options{}), nil, nil, nil)
			if err != nil {
				return err
			}
			removed, err := d.Unregister(cmd.Context(), scope, all)
			where := "globally"
			if scope != "" {
				where = "in guild " + scope
			}
			for _, n := range removed {
				fmt.Fprintf(a.stdout, "removed /%s %s\n", n, where)
			}
			if err != nil {
				return err
			}
			if len(removed) == 0 {
				fmt.Fprintf(a.stdout, "nothing to remove %s\n", where)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML configuration file (environment variables override it)")
	cmd.Flags().StringVar(&guild, "guild", "", "remove the commands registered in this guild")
	cmd.Flags().BoolVar(&global, "global", false, "remove the commands registered globally")
	cmd.Flags().BoolVar(&all, "all", false, "remove every command of the application, /brief included")
	return cmd
}
