package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot"
)

// reply is a message in a thread (no mention), as message.channels
// delivers it.
func reply(text, channel, ts, threadTS string) map[string]any {
	ev := message(text, channel, "channel", ts)
	ev["thread_ts"] = threadTS
	return ev
}

// A three-turn conversation in a thread: the mention is answered in its
// thread, and the replies after it, without a mention, are answered in the
// same thread, read with the questions before them ("And missiles?" alone
// finds nothing: the fake searcher answers only about drones).
func TestThreadFollowUps(t *testing.T) {
	convs, err := bot.OpenConversations(t.TempDir(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{tweak: func(o *Options) { o.Conversations = convs }})
	const thread = "1765000000.000100"
	turns := func(n int) {
		t.Helper() // the turn is recorded just after Slack confirmed the post
		deadline := time.Now().Add(waitLimit)
		for len(convs.Get(conversationKey("C1", thread))) < n {
			if time.Now().After(deadline) {
				t.Fatalf("conversation never reached %d turns", n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	h.event("Ev1", mention(dronesQuestion, "C1", thread, ""), nil)
	turns(1)
	h.event("Ev2", reply("And missiles?", "C1", "1765000000.000200", thread), nil)
	turns(2)
	h.event("Ev3", reply("When?", "C1", "1765000000.000300", thread), nil)
	turns(3)
	posts := h.slack.Posts("chat.postMessage")
	// A reply in a thread the bot never answered in, and a top-level
	// channel message, are not for the bot.
	h.event("Ev4", reply("And missiles?", "C1", "1765000000.000500", "1765000000.000400"), nil)
	h.event("Ev5", message("drones?", "C1", "channel", "1765000000.000600"), nil)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if got := h.slack.Posts("chat.postMessage"); len(got) != 3 {
		t.Fatalf("%d posts, want 3: %+v", len(got), got)
	}
	for i, p := range posts {
		if p.Channel != "C1" || p.ThreadTS != thread {
			t.Errorf("answer %d posted to %s thread %q, want C1 thread %s", i+1, p.Channel, p.ThreadTS, thread)
		}
		if !strings.Contains(p.Text, "653 drones and 51 missiles") {
			t.Errorf("answer %d: %q", i+1, p.Text)
		}
	}
	if !strings.Contains(posts[1].Blocks, "Following up on") || strings.Contains(posts[0].Blocks, "Following up on") {
		t.Errorf("the follow-up should say what it follows up on (and the first answer not):\n%s\n%s", posts[0].Blocks, posts[1].Blocks)
	}
	if turns := convs.Get(conversationKey("C1", thread)); len(turns) != 3 {
		t.Errorf("conversation has %d turns, want 3", len(turns))
	}
}

// With thread replies off (a channel set to "mentions only"), a reply in
// the bot's thread is ignored; a mention in the thread is still answered,
// with the conversation as context.
func TestThreadRepliesOff(t *testing.T) {
	convs, err := bot.OpenConversations("", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{tweak: func(o *Options) { o.Conversations, o.DefaultAnswer = convs, bot.AnswerMentions }})
	const thread = "1765000000.000100"
	h.event("Ev1", mention(dronesQuestion, "C1", thread, ""), nil)
	deadline := time.Now().Add(waitLimit)
	for !convs.Has(conversationKey("C1", thread)) {
		if time.Now().After(deadline) {
			t.Fatal("the first answer was never recorded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.event("Ev2", reply("And missiles?", "C1", "1765000000.000200", thread), nil)
	h.event("Ev3", mention("<@UBOT> and missiles?", "C1", "1765000000.000300", thread), nil)
	posts := h.slack.WaitPosts("chat.postMessage", 2)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if got := h.slack.Posts("chat.postMessage"); len(got) != 2 {
		t.Fatalf("%d posts, want 2 (the reply without a mention ignored)", len(got))
	}
	if !strings.Contains(posts[1].Text, "653 drones") {
		t.Errorf("the mention in the thread was not read with the conversation: %q", posts[1].Text)
	}
}
