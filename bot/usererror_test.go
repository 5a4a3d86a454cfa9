package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
)

func TestUserText(t *testing.T) {
	sentinel := errors.New("pkg: refused")
	for _, c := range []struct {
		name string
		err  error
		want string
		ok   bool
	}{
		{"empty question", bot.ErrEmptyQuestion, "the question is empty", true},
		{"too long", fmt.Errorf("ask: %w", bot.ErrQuestionTooLong), "the question is longer than 500 characters", true},
		{"not ready", bot.ErrNotReady, "the store is still loading", true},
		{"wrapped sentinel", fmt.Errorf("%w: %w", sentinel, bot.UserErrorf(nil, "at %q is wrong", "25:00")), `at "25:00" is wrong`, true},
		{"bad subscription", digest.BadSubscription("unknown time zone %q", "Mars/Olympus"), `unknown time zone "Mars/Olympus"`, true},
		{"internal", errors.New("open /var/lib/briefbot/store.bin: permission denied"), "", false},
		{"nil", nil, "", false},
	} {
		got, ok := bot.UserText(c.err)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: UserText = %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
	// The sentinels still match with errors.Is through wrapping, and a
	// bad subscription keeps its Error() text for logs and the CLI.
	if err := fmt.Errorf("x: %w", bot.ErrEmptyQuestion); !errors.Is(err, bot.ErrEmptyQuestion) || errors.Is(err, bot.ErrQuestionTooLong) {
		t.Error("errors.Is does not tell the question errors apart")
	}
	bad := digest.BadSubscription("at %q is not a time like 08:00", "8am")
	if !errors.Is(bad, digest.ErrBadSubscription) || bad.Error() != `digest: bad subscription: at "8am" is not a time like 08:00` {
		t.Errorf("BadSubscription: %q (is ErrBadSubscription: %v)", bad, errors.Is(bad, digest.ErrBadSubscription))
	}
	ue := bot.UserErrorf(context.Canceled, "stopped")
	if !errors.Is(ue, context.Canceled) || ue.Error() != "stopped" {
		t.Errorf("UserErrorf: %q does not wrap its cause", ue)
	}
}

// TestAskErrorsAreUserErrors: what Ask refuses carries its sentence.
func TestAskErrorsAreUserErrors(t *testing.T) {
	b := bot.New(nil, bot.Options{})
	for q, want := range map[string]string{"  ": "the question is empty", strings.Repeat("é", bot.MaxQuestionLen+1): "the question is longer than 500 characters"} {
		_, err := b.Ask(context.Background(), bot.Question{Text: q})
		if got, ok := bot.UserText(err); !ok || got != want {
			t.Errorf("Ask(%.10q): %v, want the sentence %q", q, err, want)
		}
	}
}

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"unknown time zone \"X\"":   "Unknown time zone \"X\".",
		"élan is gone.":             "Élan is gone.",
		" \"31:00\" is not a time ": "\"31:00\" is not a time.",
		"why?":                      "Why?",
	} {
		if got := bot.Sentence(in); got != want {
			t.Errorf("Sentence(%q) = %q, want %q", in, got, want)
		}
	}
}
