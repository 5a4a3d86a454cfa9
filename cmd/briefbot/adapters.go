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

// buildAdapters constructs the configured chat adapters, and returns the
// closers of the stores it opened for them. Construction does no I/O;
// each adapter's Run connects.
func (s *Main) buildAdapters() (_ []bot.Adapter, closers []func() error, _ error) {
	var out []bot.Adapter
	var votes bot.VoteRecorder
	if s.state != nil {
		votes = s.state.votes
	} else if s.Config.Slack.Enabled() || s.Config.Discord.Enabled() {
		v, err := bot.OpenVoteLog(s.Config.Data)
		if err != nil {
			return nil, closers, err
		}
		votes = v
	}
	var dd bot.Dedupe
	if s.state != nil && (s.Config.Slack.Enabled() || s.Config.Discord.Enabled()) {
		dd = s.state.dedupe
	} else if s.Config.Slack.Enabled() || s.Config.Discord.Enabled() {
		d, err := bot.OpenDeduperWith(s.Config.Data, slackad.DefaultDedupeTTL,
			bot.DeduperOptions{Logger: s.log.With("component", "dedupe")})
		if err != nil {
			return nil, closers, err
		}
		closers = append(closers, d.Close)
		s.metrics.watchDedupe(d)
		dd = d
	}
	s.dedupe = dd
	var convs bot.ConversationStore
	if s.state != nil && (s.Config.Slack.Enabled() || s.Config.Discord.Enabled()) {
		convs = s.state.convs
	} else if s.Config.Slack.Enabled() || s.Config.Discord.Enabled() {
		c, err := bot.OpenConversations(s.Config.Data, bot.DefaultConversationTTL, nil)
		if err != nil {
			return nil, closers, err
		}
		closers = append(closers, c.Close)
		convs = c
	}
	s.convs = convs
	var channels *bot.Channels
	var err error
	if s.state != nil { // cluster: shared by the replicas, in the database
		channels, err = bot.NewSharedChannels(cluster.NewChannels(s.state.pool), s.Config.channelSettings(), 2*time.Second)
	} else {
		channels, err = bot.OpenChannels(s.Config.Data, s.Config.channelSettings())
	}
	if err != nil {
		return nil, closers, err
	}
	s.channels = channels
	if s.Config.Slack.Enabled() {
		sl, err := slackad.New(slackad.Options{
			BotToken: s.Config.Slack.BotToken, AppToken: s.Config.Slack.AppToken,
			SigningSecret: s.Config.Slack.SigningSecret, APIURL: s.Config.Slack.APIURL,
			Bot: s.bot, Dedupe: dd, Votes: votes, Observer: s.metrics, Digests: s.digests,
			Conversations: convs, Channels: channels, DefaultAnswer: defaultAnswer(s.Config.Slack), Admins: s.Config.Slack.Admins,
			Logger: s.log.With("component", "slack"), Ready: s.loaded,
		})
		if err != nil {
			return nil, closers, fmt.Errorf("slack: %w", err)
		}
		out = append(out, sl)
	}
	if s.Config.Discord.Enabled() {
		d, err := newDiscord(s.Config.Discord, s.bot, votes, s.metrics, s)
		if err != nil {
			return nil, closers, err
		}
		out = append(out, d)
	}
	return out, closers, nil
}

// newDiscord builds the Discord adapter from its configuration, with the
// digest commands /digest, /subscribe and /unsubscribe. Without a server
// (`briefbot discord register`) the commands are registered, not served.
func newDiscord(c DiscordConfig, b *bot.Bot, votes bot.VoteRecorder, obs bot.Observer, s *Main) (*discord.Adapter, error) {
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
