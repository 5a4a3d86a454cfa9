package main

import (
	"fmt"
	"time"

	"github.com/briefbot/briefbot/adapters/discord"
	slackad "github.com/briefbot/briefbot/adapters/slack"
	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/cluster"
)

// buildAdapters constructs the configured chat adapters. Construction
// does no I/O; each adapter's Run connects.
func (s *server) buildAdapters() ([]bot.Adapter, error) {
	var out []bot.Adapter
	var votes bot.VoteRecorder
	if s.state != nil {
		votes = s.state.votes
	} else if s.cfg.Slack.Enabled() || s.cfg.Discord.Enabled() {
		v, err := bot.OpenVoteLog(s.cfg.Data)
		if err != nil {
			return nil, err
		}
		votes = v
	}
	var dd bot.Dedupe
	if s.state != nil && (s.cfg.Slack.Enabled() || s.cfg.Discord.Enabled()) {
		dd = s.state.dedupe
	} else if s.cfg.Slack.Enabled() || s.cfg.Discord.Enabled() {
		d, err := bot.OpenDeduperWith(s.cfg.Data, slackad.DefaultDedupeTTL,
			bot.DeduperOptions{Logger: s.log.With("component", "dedupe")})
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, d.Close)
		s.metrics.watchDedupe(d)
		dd = d
	}
	s.dedupe = dd
	var convs bot.ConversationStore
	if s.state != nil && (s.cfg.Slack.Enabled() || s.cfg.Discord.Enabled()) {
		convs = s.state.convs
	} else if s.cfg.Slack.Enabled() || s.cfg.Discord.Enabled() {
		c, err := bot.OpenConversations(s.cfg.Data, bot.DefaultConversationTTL, nil)
		if err != nil {
			return nil, err
		}
		convs = c
	}
	s.convs = convs
	var channels *bot.Channels
	var err error
	if s.state != nil { // cluster: shared by the replicas, in the database
		channels, err = bot.NewSharedChannels(cluster.NewChannels(s.state.pool), s.cfg.channelSettings(), 2*time.Second)
	} else {
		channels, err = bot.OpenChannels(s.cfg.Data, s.cfg.channelSettings())
	}
	if err != nil {
		return nil, err
	}
	s.channels = channels
	if s.cfg.Slack.Enabled() {
		sl, err := slackad.New(slackad.Options{
			BotToken: s.cfg.Slack.BotToken, AppToken: s.cfg.Slack.AppToken,
			SigningSecret: s.cfg.Slack.SigningSecret, APIURL: s.cfg.Slack.APIURL,
			Bot: s.bot, Dedupe: dd, Votes: votes, Observer: s.metrics, Digests: s.digests,
			Conversations: convs, Channels: channels, DefaultAnswer: defaultAnswer(s.cfg.Slack), Admins: s.cfg.Slack.Admins,
			Logger: s.log.With("component", "slack"), Ready: s.loaded,
		})
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		out = append(out, sl)
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

// newDiscord builds the Discord adapter from its configuration, with the
// digest commands /digest, /subscribe and /unsubscribe. Without a server
// (`briefbot discord register`) the commands are registered, not served.
func newDiscord(c DiscordConfig, b *bot.Bot, votes bot.VoteRecorder, obs bot.Observer, s *server) (*discord.Adapter, error) {
	var digests digest.Commands = unservedDigests{}
	if s != nil && s.digests != nil {
		digests = s.digests
	}
	var dd bot.Dedupe
	var convs bot.ConversationStore
	var channels *bot.Channels
	if s != nil {
		dd, convs, channels = s.dedupe, s.convs, s.channels
	}
	opts := discord.Options{
		BotToken: c.BotToken, AppID: c.AppID, PublicKey: c.PublicKey, GuildID: c.GuildID, APIURL: c.APIURL,
		Bot: b, Votes: votes, Dedupe: dd, Conversations: convs, Channels: channels, Observer: obs, Commands: discord.DigestCommands(digests),
	}
	if s != nil {
		opts.Logger = s.log.With("component", "discord")
	}
	if s != nil && s.state != nil {
		opts.Gateway = s.state.node.WhileLeader // one gateway per cluster: the leader's
	}
	d, err := discord.New(opts)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	return d, nil
}

// defaultAnswer is how a Slack channel without a setting is answered.
func defaultAnswer(c SlackConfig) string {
	if c.ThreadReplies == "off" {
		return bot.AnswerMentions
	}
	return bot.AnswerThreads
}
