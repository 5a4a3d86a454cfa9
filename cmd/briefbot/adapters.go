package main

import (
	"fmt"

	"github.com/briefbot/briefbot/adapters/discord"
	"github.com/briefbot/briefbot/bot"
)

// buildAdapters constructs the configured chat adapters. Construction does
// no I/O; each adapter's Run connects.
func (s *server) buildAdapters() ([]bot.Adapter, error) {
	var out []bot.Adapter
	var votes *bot.VoteLog
	if s.cfg.Slack.Enabled() || s.cfg.Discord.Enabled() {
		v, err := bot.OpenVoteLog(s.cfg.Data)
		if err != nil {
			return nil, err
		}
		votes = v
	}
	if s.cfg.Discord.Enabled() {
		d, err := newDiscord(s.cfg.Discord, s.bot, votes, s.metrics, s)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// newDiscord builds the Discord adapter from its configuration.
func newDiscord(c DiscordConfig, b *bot.Bot, votes *bot.VoteLog, obs bot.Observer, s *server) (*discord.Adapter, error) {
	opts := discord.Options{
		BotToken: c.BotToken, AppID: c.AppID, PublicKey: c.PublicKey, GuildID: c.GuildID, APIURL: c.APIURL,
		Bot: b, Votes: votes, Observer: obs,
	}
	if s != nil {
		opts.Logger = s.log.With("component", "discord")
	}
	d, err := discord.New(opts)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	return d, nil
}
