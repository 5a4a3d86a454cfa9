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
			e, _, err := a.openEngine(cmd.Context(), nil)
			if err != nil {
				return err
			}
			d, err := newDiscord(cfg.Discord, bot.New(e, bot.Options{}), nil, nil, nil)
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
	cmd.AddCommand(register)
	return cmd
}
