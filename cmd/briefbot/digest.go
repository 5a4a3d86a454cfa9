package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/adapters/discord"
	slackad "github.com/briefbot/briefbot/adapters/slack"
	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

// digestPosters builds the poster of each platform for `digest --post`,
// from the environment (SLACK_BOT_TOKEN and SLACK_API_URL;
// DISCORD_BOT_TOKEN and DISCORD_API_URL; DISCORD_APP_ID is not needed).
// Posting needs only the bot token: no Socket Mode, no HTTP routes, no
// gateway, no application id. A platform with no entry fails with a clear
// error.
var digestPosters = map[string]func(a *app) (digest.Poster, error){
	bot.PlatformSlack:   slackPoster,
	bot.PlatformDiscord: discordPoster,
}

// slackPoster posts digests with the Slack Web API.
func slackPoster(a *app) (digest.Poster, error) {
	cfg, err := readConfig("", a.getenv)
	if err != nil {
		return nil, err
	}
	if cfg.Slack.BotToken == "" {
		return nil, errors.New("set SLACK_BOT_TOKEN (the bot token, xoxb-…) to post to Slack")
	}
	sl, err := slackad.NewPoster(slackad.Options{BotToken: cfg.Slack.BotToken, APIURL: cfg.Slack.APIURL})
	if err != nil {
		return nil, err
	}
	return digest.PosterOf(sl), nil
}

// discordPoster posts digests with the Discord REST API.
func discordPoster(a *app) (digest.Poster, error) {
	cfg, err := readConfig("", a.getenv)
	if err != nil {
		return nil, err
	}
	if cfg.Discord.BotToken == "" {
		return nil, errors.New("set DISCORD_BOT_TOKEN (the bot token) to post to Discord")
	}
	d, err := discord.NewPoster(discord.Options{BotToken: cfg.Discord.BotToken, APIURL: cfg.Discord.APIURL})
	if err != nil {
		return nil, err
	}
	return digest.PosterOf(d), nil
}

// posterFor returns the configured poster of platform.
func (a *app) posterFor(platform string) (digest.Poster, error) {
	mk, ok := digestPosters[platform]
	if !ok {
		return nil, exitError{code: 1, msg: fmt.Sprintf("cannot post to %s: no %s poster is configured in this build", platform, platform)}
	}
	p, err := mk(a)
	if err != nil {
		return nil, exitError{code: 1, msg: fmt.Sprintf("cannot post to %s: %v", platform, err)}
	}
	return p, nil
}

func (a *app) digestCmd() *cobra.Command {
	var date, since, tz, post string
	var window time.Duration
	var all, asJSON, force, skipEmpty bool
	cmd := &cobra.Command{
		Use:   "digest [--date YYYY-MM-DD | --since DATE | --all] [--window 24h] [--tz ZONE] [--json] [--post slack:CHANNEL|discord:CHANNEL [--force]]",
		Short: "Print or post the digest of the day's briefings: stories in verbatim, cited sentences",
		Long: `Group the briefings of a window into stories, most important first (more independent
sources, more novelty), each with a headline taken from its sources and 1 to 3
verbatim key sentences with citations.

The window is the 24 hours before now (--window), a calendar day (--date, read in
--tz), everything since a date (--since) or every article (--all). Undated articles
count by when they were ingested.

--post slack:CHANNEL or discord:CHANNEL posts it through the configured adapter,
once per channel and day: a ledger in the data directory (` + digest.LedgerFile + `)
refuses a second post for the same day; --force posts again. Stories of the
previous digest posted to that channel come back as follow-ups.`,
		Example: `  briefbot digest --all
  briefbot digest --date 2025-12-06 --tz Europe/Kyiv --json
  briefbot digest --post slack:C0123456`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			loc := time.UTC
			if tz != "" {
				l, err := time.LoadLocation(tz)
				if err != nil {
					return exitError{code: 2, msg: fmt.Sprintf("--tz %q is not a time zone (use an IANA name like Europe/Kyiv)", tz)}
				}
				loc = l
			}
			opts := digest.Options{Now: time.Now(), Location: loc, Window: window, All: all}
			if date != "" {
				t, err := time.ParseInLocation("2006-01-02", date, time.UTC)
				if err != nil {
					return exitError{code: 2, msg: fmt.Sprintf("--date %q is not a date (use YYYY-MM-DD)", date)}
				}
				opts.Date = t
			}
			if since != "" {
				t, err := time.ParseInLocation("2006-01-02", since, loc)
				if err != nil {
					st, ok := ingest.ParseDate(since)
					if !ok {
						return exitError{code: 2, msg: fmt.Sprintf("--since %q is not a date (use YYYY-MM-DD)", since)}
					}
					t = st
				}
				opts.Since = t
			}
			if window < 0 {
				return exitError{code: 2, msg: "--window must be positive"}
			}
			ctx := cmd.Context()
			e, dir, err := a.openEngine(ctx, nil)
			if err != nil {
				return err
			}
			if post == "" {
				if force {
					return exitError{code: 2, msg: "--force only goes with --post"}
				}
				d, err := digest.Build(ctx, e, opts)
				if errors.Is(err, digest.ErrBadOptions) {
					return exitError{code: 2, msg: "use only one of --date, --since and --all"}
				}
				if err != nil {
					return err
				}
				return a.printDigest(d, asJSON)
			}
			target, err := digest.ParseTarget(post)
			if err != nil {
				return exitError{code: 2, msg: "--post: " + err.Error()}
			}
			p, err := a.posterFor(target.Platform)
			if err != nil {
				return err
			}
			var ledger digest.LedgerStore = digest.OpenLedger(dir)
			if cfg, err := readConfig("", a.getenv); err == nil && cfg.DatabaseURL != "" {
				l, stop, err := clusterLedger(ctx, cfg.DatabaseURL)
				if err != nil {
					return err
				}
				defer stop()
				ledger = l // the replicas' ledger: one post per channel and day across all of them
			}
			outcome, d, err := digest.Deliver(ctx, e, ledger, p, digest.Delivery{Target: target, Options: opts, SkipEmpty: skipEmpty, Force: force})
			if errors.Is(err, digest.ErrBadOptions) {
				return exitError{code: 2, msg: "use only one of --date, --since and --all"}
			}
			if err != nil {
				return err
			}
			switch outcome {
			case digest.AlreadyPosted:
				fmt.Fprintf(a.stderr, "today's digest was already posted to %s (use --force to post it again)\n", target)
				return nil
			case digest.HeldElsewhere:
				fmt.Fprintf(a.stderr, "a replica is posting today's digest to %s right now (use --force to post it again)\n", target)
				return nil
			case digest.SkippedEmpty:
				fmt.Fprintf(a.stderr, "%s Nothing posted to %s.\n", d.EmptyText(), target)
				return nil
			}
			fmt.Fprintf(a.stderr, "posted the digest (%d stories) to %s\n", len(d.Stories), target)
			if asJSON {
				return a.printDigest(d, true)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&date, "date", "", "the digest of one calendar day (YYYY-MM-DD, in --tz)")
	f.StringVar(&since, "since", "", "every article since this date (YYYY-MM-DD)")
	f.BoolVar(&all, "all", false, "every article in the store")
	f.DurationVar(&window, "window", digest.DefaultWindow, "how far back from now the digest looks")
	f.StringVar(&tz, "tz", "", "time zone of dates and days (IANA name; default UTC)")
	f.BoolVar(&asJSON, "json", false, "print the digest as JSON")
	f.StringVar(&post, "post", "", "post it to slack:CHANNEL or discord:CHANNEL, once per channel and day")
	f.BoolVar(&force, "force", false, "with --post: post even if today's digest was already posted there")
	f.BoolVar(&skipEmpty, "skip-empty", false, "with --post: post nothing when the window has no briefings")
	return cmd
}

func (a *app) printDigest(d digest.Digest, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(d)
	}
	_, err := fmt.Fprint(a.stdout, d.Text())
	return err
}
