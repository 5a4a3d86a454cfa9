package bot

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UserError is an error meant for the person who asked: Text is one
// sentence they can act on (lower case, no final period, no internals:
// never a path, a query or a driver's message). Every front end — the
// HTTP API, the CLI, Slack, Discord — takes the sentence from here with
// UserText and adds only its own wording around it (capitals, a period,
// a hint about its syntax).
//
// Err, when set, is the error it wraps, so that errors.Is still matches a
// sentinel such as digest.ErrBadSubscription. A UserError may itself be
// the sentinel (ErrEmptyQuestion): errors.Is compares the pointers.
type UserError struct {
	Text string
	Err  error
}

// Error returns Text: it is already the message.
func (e *UserError) Error() string { return e.Text }

// Unwrap returns Err.
func (e *UserError) Unwrap() error { return e.Err }

// UserErrorf returns a *UserError wrapping err with the formatted sentence.
func UserErrorf(err error, format string, args ...any) *UserError {
	return &UserError{Text: fmt.Sprintf(format, args...), Err: err}
}

// UserText returns the sentence of the first *UserError in err's chain,
// and false when there is none: then err is an internal failure, which
// a front end logs and answers with its own apology (never err.Error()).
func UserText(err error) (string, bool) {
	var ue *UserError
	if errors.As(err, &ue) && ue.Text != "" {
		return ue.Text, true
	}
	return "", false
}

// Errors callers test for with errors.Is; both are *UserError.
var (
	// ErrEmptyQuestion reports a question with no text.
	ErrEmptyQuestion error = &UserError{Text: "the question is empty"}
	// ErrQuestionTooLong reports a question over MaxQuestionLen characters.
	ErrQuestionTooLong error = &UserError{Text: fmt.Sprintf("the question is longer than %d characters", MaxQuestionLen)}
	// ErrNotReady reports a question asked before the store has loaded.
	ErrNotReady error = &UserError{Text: "the store is still loading"}
)

// Sentence returns text with its first letter in upper case and a final
// period: how the chat adapters show a UserError's text on its own.
func Sentence(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(text)
	text = string(unicode.ToUpper(r)) + text[n:]
	if !strings.HasSuffix(text, ".") && !strings.HasSuffix(text, "?") && !strings.HasSuffix(text, "!") {
		text += "."
	}
	return text
}
