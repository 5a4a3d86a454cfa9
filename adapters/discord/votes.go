package discord

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
)

// Vote buttons carry "bb:v:<up|down>:<key>:<id>,<id>..." as custom_id, at
// most maxCustomID characters. key (the id of the interaction answered)
// finds the answer's question and article ids: in recentAnswers, else in
// the vote store when it keeps answers (bot.AnswerRecorder: the file
// store's answers.jsonl), so a vote after a restart reads nothing back
// from the message's display text. The article ids that fit are carried
// too, for a store that keeps no answers (then the question is read from
// the message's "**Q:**" line, which we wrote).
//
// Buttons posted before carry "bb:vote:..." (legacyVotePrefix) and are
// still read as they were: their article ids, when not all fit, from the
// embed footers.
const (
	votePrefix       = "bb:v:"
	legacyVotePrefix = "bb:vote:"
	maxCustomID      = 100
)

// recentAnswers remembers the last answers by key, evicting the oldest.
type recentAnswers struct {
	mu    sync.Mutex
	max   int
	order []string
	byKey map[string]bot.RatedAnswer
}

func newRecentAnswers(max int) *recentAnswers {
	return &recentAnswers{max: max, byKey: make(map[string]bot.RatedAnswer, max)}
}

func (r *recentAnswers) put(key string, rec bot.RatedAnswer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byKey[key]; !ok {
		r.order = append(r.order, key)
	}
	r.byKey[key] = rec
	for len(r.order) > r.max {
		delete(r.byKey, r.order[0])
		r.order = r.order[1:]
	}
}

func (r *recentAnswers) get(key string) (bot.RatedAnswer, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.byKey[key]
	return rec, ok
}

// voteCustomID builds a button's custom_id within maxCustomID characters.
func voteCustomID(vote, key string, ids []string) string {
	id := votePrefix + vote + ":" + key + ":"
	for n, a := range ids {
		next := a
		if n > 0 {
			next = "," + a
		}
		if len(id)+len(next) > maxCustomID || strings.ContainsAny(a, ",:") {
			break
		}
		id += next
	}
	return id
}

// voteButton is a parsed vote button's custom_id.
type voteButton struct {
	vote, key string
	ids       []string // the article ids that fit
	legacy    bool     // posted before answers were kept by key
}

// parseVoteCustomID splits a vote button's custom_id, of today's format or
// the legacy one.
func parseVoteCustomID(id string) (voteButton, bool) {
	b := voteButton{}
	rest, found := strings.CutPrefix(id, votePrefix)
	if !found {
		if rest, found = strings.CutPrefix(id, legacyVotePrefix); !found {
			return voteButton{}, false
		}
		b.legacy = true
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) < 2 || (parts[0] != bot.VoteUp && parts[0] != bot.VoteDown) {
		return voteButton{}, false
	}
	b.vote, b.key = parts[0], parts[1]
	if len(parts) == 3 && parts[2] != "" {
		b.ids = strings.Split(parts[2], ",")
	}
	return b, true
}

// voteButtons are the 👍/👎 row of an answer.
func voteButtons(key string, ids []string) []discordgo.MessageComponent {
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Helpful", Style: discordgo.SecondaryButton,
			Emoji: &discordgo.ComponentEmoji{Name: "👍"}, CustomID: voteCustomID(bot.VoteUp, key, ids)},
		discordgo.Button{Label: "Not helpful", Style: discordgo.SecondaryButton,
			Emoji: &discordgo.ComponentEmoji{Name: "👎"}, CustomID: voteCustomID(bot.VoteDown, key, ids)},
	}}}
}

// withVotes adds vote buttons to a found answer and remembers it under key,
// in memory and in the vote store when it keeps answers.
func (a *Adapter) withVotes(m Message, key string, ans bot.Answer) Message {
	if a.votes == nil || !ans.Found || len(ans.Quotes) == 0 {
		return m
	}
	rec := bot.RatedAnswer{Question: ans.Question, ArticleIDs: ans.ArticleIDs()} // the store stamps its time
	a.recent.put(key, rec)
	if store, ok := a.votes.(bot.AnswerRecorder); ok {
		if err := store.RememberAnswer(context.Background(), answerKey(key), rec); err != nil {
			a.log.Warn("discord answer not kept for its votes", "err", err)
		}
	}
	m.Components = voteButtons(key, rec.ArticleIDs)
	return m
}

// answerKey is the key of an answer's record in the vote store.
func answerKey(key string) string { return bot.PlatformDiscord + ":" + key }

// recoverAnswer finds what a vote rates: from memory, else from the vote
// store, else from the button (the article ids that fit) and the message
// (the question; for a legacy button, the article ids in the embed
// footers when not all fit).
func (a *Adapter) recoverAnswer(ctx context.Context, b voteButton, msg *discordgo.Message) bot.RatedAnswer {
	if rec, ok := a.recent.get(b.key); ok {
		return rec
	}
	if store, ok := a.votes.(bot.AnswerRecorder); ok {
		rec, found, err := store.RecallAnswer(ctx, answerKey(b.key))
		if err != nil {
			a.log.WarnContext(ctx, "discord answer not read for a vote", "err", err)
		}
		if found {
			return rec
		}
	}
	rec := bot.RatedAnswer{ArticleIDs: b.ids}
	if msg == nil {
		return rec
	}
	if q, ok := questionFromContent(msg.Content); ok {
		rec.Question = q
	}
	if b.legacy && len(rec.ArticleIDs) < len(msg.Embeds) {
		rec.ArticleIDs = rec.ArticleIDs[:0:0]
		for _, e := range msg.Embeds {
			if e == nil || e.Footer == nil {
				continue
			}
			parts := strings.Split(e.Footer.Text, " · ")
			rec.ArticleIDs = append(rec.ArticleIDs, restoreMentions(parts[len(parts)-1]))
		}
	}
	return rec
}

// handleVote records a 👍/👎 click and acknowledges it to the voter only.
func (a *Adapter) handleVote(ctx context.Context, i *discordgo.Interaction) Message {
	b, ok := parseVoteCustomID(i.MessageComponentData().CustomID)
	if !ok {
		return Message{Content: "That button is no longer supported.", Ephemeral: true}
	}
	if a.votes == nil {
		return Message{Content: "Votes are not being recorded right now.", Ephemeral: true}
	}
	vote := b.vote
	rec := a.recoverAnswer(ctx, b, i.Message)
	answer := "key:" + b.key // the answer's key in the custom_id, when the message is unknown
	if i.Message != nil && i.Message.ID != "" {
		answer = i.Message.ID
	}
	err := a.votes.Record(ctx, bot.Vote{
		Platform:   bot.PlatformDiscord,
		Question:   rec.Question,
		ArticleIDs: rec.ArticleIDs,
		User:       userID(i),
		Vote:       vote,
		Time:       a.now().UTC(),
		Key:        bot.VoteKey(bot.PlatformDiscord, answer, userID(i), vote),
	})
	if errors.Is(err, bot.ErrDuplicateVote) {
		a.obs.Deduplicated(bot.PlatformDiscord)
		a.log.InfoContext(ctx, "duplicate vote dropped", "vote", vote, "interaction_id", i.ID)
	} else if err != nil {
		a.log.ErrorContext(ctx, "vote not recorded", "err", err)
		return Message{Content: "Sorry, I couldn't record your vote. Please try again later.", Ephemeral: true}
	} else {
		a.log.InfoContext(ctx, "vote recorded", "vote", vote)
	}
	if vote == bot.VoteUp {
		return Message{Content: "Thanks for the 👍, noted.", Ephemeral: true}
	}
	return Message{Content: "Thanks for the 👎, noted. What was wrong?", Ephemeral: true, Components: reasonButtons(answer)}
}

// reasonPrefix starts the custom_id of a reason button:
// "reason:CODE:ANSWER", ANSWER identifying the answer as the 👎 did.
const reasonPrefix = "reason:"

// reasonButtons asks why a 👎 was given.
func reasonButtons(answer string) []discordgo.MessageComponent {
	var row []discordgo.MessageComponent
	for _, r := range bot.Reasons {
		id := reasonPrefix + r.Code + ":" + answer
		if len(id) > 100 { // Discord's custom_id limit: an answer key too long to carry
			return nil
		}
		row = append(row, discordgo.Button{Label: r.Label, Style: discordgo.SecondaryButton, CustomID: id})
	}
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: row}}
}

// handleReason records why a 👎 was given, with the question and articles
// of that 👎, once per user and answer.
func (a *Adapter) handleReason(ctx context.Context, i *discordgo.Interaction, rest string) Message {
	code, answer, ok := strings.Cut(rest, ":")
	label := bot.ReasonLabel(code)
	if !ok || label == "" || a.votes == nil {
		return Message{Content: "That button is no longer supported.", Ephemeral: true}
	}
	down, found, err := a.votes.Find(ctx, bot.VoteKey(bot.PlatformDiscord, answer, userID(i), bot.VoteDown))
	if err == nil && !found {
		return Message{Content: "I have no 👎 of yours on that answer.", Ephemeral: true}
	}
	if err == nil {
		err = a.votes.Record(ctx, bot.Vote{
			Platform: bot.PlatformDiscord, Question: down.Question, ArticleIDs: down.ArticleIDs,
			User: userID(i), Vote: bot.VoteDown, Reason: code, Time: a.now().UTC(),
			Key: bot.ReasonKey(bot.PlatformDiscord, answer, userID(i)),
		})
	}
	switch {
	case errors.Is(err, bot.ErrDuplicateVote):
		return Message{Content: "You already told me what was wrong with this answer: thanks.", Ephemeral: true}
	case err != nil:
		a.log.ErrorContext(ctx, "reason not recorded", "err", err)
		return Message{Content: "Sorry, I couldn't record that. Please try again later.", Ephemeral: true}
	}
	a.log.InfoContext(ctx, "reason recorded", "reason", code)
	return Message{Content: "Thanks: noted (" + label + ").", Ephemeral: true}
}
