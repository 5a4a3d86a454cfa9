package ingest

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

type collectionKey struct{}

// WithCollection returns a context under which ReadInput labels every
// article with the collection name (briefbot ingest --collection), unless
// the Input carries its own.
func WithCollection(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, collectionKey{}, name)
}

func collectionFrom(ctx context.Context) string {
	s, _ := ctx.Value(collectionKey{}).(string)
	return s
}

// CheckCollection reports a collection name that is not 1 to 64 letters,
// digits, '-', '_' or '.'.
func CheckCollection(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("collection name %q: 1 to 64 letters, digits, '-', '_' or '.'", name)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-_.", r) {
			return fmt.Errorf("collection name %q: 1 to 64 letters, digits, '-', '_' or '.'", name)
		}
	}
	return nil
}

// SplitLabel reads a watched path or a feed URL written "NAME=TARGET"
// (a collection label, then the path or URL) and returns the label ("" when
// there is none) and the target. A target that merely contains '=' (a URL's
// query) keeps it: only a valid collection name before the first '=' is a
// label.
func SplitLabel(s string) (collection, target string) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok || CheckCollection(name) != nil || strings.ContainsAny(name, "/\\:") || rest == "" {
		return "", s
	}
	return name, rest
}
