package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
)

// followUpPrefix starts the custom_id of the "Ask a follow-up" button and
// of the modal it opens; the rest is the conversation's key (the id of the
// interaction the answer replied to).
const followUpPrefix = "followup:"

// followUpInput is the custom_id of the modal's text input.
const followUpInput = "question"

// conversationKey names the conversation an answer (made in reply to the
// interaction id) belongs to.
func conversationKey(id string) string { return "discord:" + id }

// withFollowUp adds the "Ask a follow-up" button to an answer made in reply
// to the interaction id, and records the answer as the last turn of its
// conversation (history, then this answer).
func (a *Adapter) withFollowUp(m Message, id string, history []bot.Turn, ans bot.Answer) Message {
	if a.convs == nil || id == "" {
		return m
	}
	turns := append(append([]bot.Turn(nil), history...), ans.Turn())
	if err := a.convs.Replace(conversationKey(id), turns); err != nil {
		a.log.Warn("discord conversation not saved", "err", err)
	}
	button := discordgo.Button{Label: "Ask a follow-up", Style: discordgo.PrimaryButton,
		Emoji: &discordgo.ComponentEmoji{Name: "💬"}, CustomID: followUpPrefix + id}
	if n := len(m.Components); n > 0 {
		if row, ok := m.Components[n-1].(discordgo.ActionsRow); ok && len(row.Components) < 5 {
			row.Components = append(append([]discordgo.MessageComponent(nil), row.Components...), button)
			m.Components = append(append([]discordgo.MessageComponent(nil), m.Components[:n-1]...), row)
			return m
		}
	}
	m.Components = append(m.Components, discordgo.ActionsRow{Components: []discordgo.MessageComponent{button}})
	return m
}

// followUpModal answers a click on "Ask a follow-up" with a modal asking
// for the question, or says that the conversation has expired.
func (a *Adapter) followUpModal(key string) *discordgo.InteractionResponse {
	if a.convs == nil || !a.convs.Has(conversationKey(key)) {
		return reply(Message{Content: "This conversation has expired. Ask again with `/brief ask`.", Ephemeral: true})
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: &discordgo.InteractionResponseData{
		CustomID: followUpPrefix + key,
		Title:    "Ask a follow-up",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.TextInput{CustomID: followUpInput, Label: "Your follow-up question", Style: discordgo.TextInputShort,
				Placeholder: "e.g. When? / And how did Kyiv respond?", Required: true, MinLength: 1, MaxLength: bot.MaxQuestionLen},
		}}},
	}}
}

// modalValue returns the value of the text input id in a modal submission.
func modalValue(data discordgo.ModalSubmitInteractionData, id string) string {
	for _, c := range data.Components {
		row, ok := c.(*discordgo.ActionsRow)
		if !ok || row == nil {
			continue
		}
		for _, in := range row.Components {
			if t, ok := in.(*discordgo.TextInput); ok && t != nil && t.CustomID == id {
				return t.Value
			}
		}
	}
	return ""
}

// followUp answers a submitted follow-up modal: the question is read with
// its conversation, and the answer is posted in the channel (showing the
// question, since the modal showed it to nobody else) with its own
// follow-up button.
func (a *Adapter) followUp(ctx context.Context, i *discordgo.Interaction, respond responder) {
	data := i.ModalSubmitData()
	key, ok := strings.CutPrefix(data.CustomID, followUpPrefix)
	if !ok || a.convs == nil {
		a.send(ctx, respond, reply(Message{Content: "I don't know that form.", Ephemeral: true}))
		return
	}
	history := a.convs.Get(conversationKey(key))
	if history == nil {
		a.send(ctx, respond, reply(Message{Content: "This conversation has expired. Ask again with `/brief ask`.", Ephemeral: true}))
		return
	}
	text := modalValue(data, followUpInput)
	a.answer(ctx, i, respond, false, func(ctx context.Context) Message {
		ans, err := a.bot.Ask(ctx, bot.Question{Text: text, Platform: bot.PlatformDiscord, History: history,
			Collections: a.channels.Get(bot.PlatformDiscord, i.ChannelID).Collections})
		switch {
		case errors.Is(err, bot.ErrEmptyQuestion):
			return Message{Content: "Please type a follow-up question.", Ephemeral: true}
		case errors.Is(err, bot.ErrQuestionTooLong):
			return Message{Content: fmt.Sprintf("Please keep the question under %d characters.", bot.MaxQuestionLen), Ephemeral: true}
		case err != nil:
			return Message{Content: "Sorry, I couldn't search the briefings just now. Please try again in a moment."}
		}
		m := RenderAnswer(ans)
		if !ans.Found {
			// A not-found answer does not show the question; a follow-up's must.
			m.Content = questionContent(ans.Question) + "\n" + m.Content
		}
		if ans.FollowUpOf != "" {
			m.Content += "\n*Following up on:* " + EscapeMarkdown(ans.FollowUpOf)
		}
		return a.withFollowUp(a.withVotes(TrimMessage(m), i.ID, ans), i.ID, history, ans)
	})
}
