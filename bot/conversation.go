package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/text"
)

// Turn is one question answered in a conversation (a Slack thread, a
// Discord follow-up chain).
type Turn struct {
	// Question is the question as the engine searched it: a follow-up
	// already resolved against the turns before it.
	Question string `json:"q"`
	// Asked is the question as typed.
	Asked string `json:"x,omitempty"`
	// Articles are the quoted articles' ids, best first.
	Articles []string `json:"a,omitempty"`
	// Shown are the quotes the answer showed: a follow-up shows what is
	// new first.
	Shown []string `json:"s,omitempty"`
	// At is when it was answered.
	At time.Time `json:"t"`
}

// MaxTurns is how many turns a conversation keeps as context.
const MaxTurns = 3

// followUpLeads open a question that continues the one before it.
var followUpLeads = []string{"and", "but", "so", "also", "then", "what about", "how about", "and what about", "ok", "okay"}

// backReferences are words that point at something said before.
var backReferences = map[string]bool{
	"he": true, "she": true, "they": true, "it": true, "its": true, "his": true, "her": true, "hers": true,
	"their": true, "theirs": true, "them": true, "him": true, "this": true, "that": true, "these": true,
	"those": true, "there": true, "then": true, "same": true,
}

// topicless reports a word that carries no topic: it is never carried
// over from an earlier question, and does not count as the follow-up's own
// topic. The index's stop words (text.IsStopWord: function words, question
// words) and a few verbs and quantifiers of asking.
func topicless(w string) bool {
	return text.IsStopWord(w) || askingWords[w]
}

var askingWords = map[string]bool{
	"say": true, "said": true, "says": true, "many": true, "much": true, "else": true,
	"exactly": true, "ok": true, "okay": true, "now": true, "done": true,
}

// Resolve turns text, asked after turns (oldest first), into a question
// that stands alone, and reports whether it used the context. It is
// deterministic: a follow-up is a question that opens with a continuation
// ("And…", "What about…"), refers back ("he", "that", "there"), or has at
// most two topic words of its own ("When?", "How did Kyiv respond?"); the
// topic words of the latest earlier question that the follow-up lacks are
// added to it. A question with a topic of its own is left as it is.
func Resolve(turns []Turn, text string) (string, bool) {
	if len(turns) == 0 {
		return text, false
	}
	prev := turns[len(turns)-1].Question
	words := resolveWords(text)
	if len(words) == 0 {
		return text, false
	}
	lower := make([]string, len(words))
	for i, w := range words {
		lower[i] = strings.ToLower(w)
	}
	follow := false
	joined := " " + strings.Join(lower, " ") + " "
	for _, lead := range followUpLeads {
		if strings.HasPrefix(joined, " "+lead+" ") {
			follow = true
			break
		}
	}
	own := 0
	have := map[string]bool{}
	for _, w := range lower {
		if backReferences[w] {
			follow = true
		}
		have[w] = true
		if !topicless(w) {
			own++
		}
	}
	if own <= 2 {
		follow = true
	}
	if !follow {
		return text, false
	}
	var add []string
	for _, w := range resolveWords(prev) {
		lw := strings.ToLower(w)
		if topicless(lw) || have[lw] {
			continue
		}
		have[lw] = true
		add = append(add, w)
	}
	if len(add) == 0 {
		return text, false
	}
	return strings.TrimSpace(text) + " " + strings.Join(add, " "), true
}

// ownCoverage counts the question's own terms (stemmed, stop words
// aside) that the answer's first quote holds.
func ownCoverage(question string, r retrieval.Result) int {
	if !r.Found || len(r.Quotes) == 0 {
		return 0
	}
	in := map[string]bool{}
	for _, t := range text.Terms(r.Quotes[0].Text) {
		in[t] = true
	}
	n := 0
	seen := map[string]bool{}
	for _, t := range text.Terms(question) {
		if in[t] && !seen[t] {
			n++
		}
		seen[t] = true
	}
	return n
}

// newName reports whether question names something (a capitalised word
// other than its first, or any word in capitals after the first) that
// topic does not mention.
func newName(question, topic string) bool {
	known := map[string]bool{}
	for _, w := range resolveWords(topic) {
		known[strings.ToLower(w)] = true
	}
	for i, w := range resolveWords(question) {
		if i == 0 || w == "" || !unicode.IsUpper([]rune(w)[0]) {
			continue
		}
		if !known[strings.ToLower(w)] {
			return true
		}
	}
	return false
}

// resolveWords splits s into words (letters, digits, inner apostrophes
// and hyphens), keeping their case.
func resolveWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’' || r == '-')
	})
}

// ConversationsFile is the file, in the data directory, where
// conversations are kept: an append-only log of JSON lines, one a change
// ({"k":KEY,"v":[TURNS]}, the last line for a key winning).
const ConversationsFile = "conversations.jsonl"

// oldConversationsFile is the whole-file JSON map conversations were kept
// in before: read once, migrated to ConversationsFile, then removed.
const oldConversationsFile = "conversations.json"

// DefaultConversationTTL is how long a conversation is remembered after
// its last turn.
const DefaultConversationTTL = 24 * time.Hour

// ConversationStore keeps conversations for the adapters: [Conversations]
// in the data directory, or the cluster package's table in PostgreSQL, so
// that a follow-up reaching another replica is read with its thread.
type ConversationStore interface {
	// Get returns the conversation's turns, oldest first (nil when none).
	Get(key string) []Turn
	// Has reports whether the conversation exists and has not expired.
	Has(key string) bool
	// Append adds a turn, keeping the last MaxTurns.
	Append(key string, t Turn) error
	// Replace sets the conversation's turns, keeping the last MaxTurns.
	Replace(key string, turns []Turn) error
}

var _ ConversationStore = (*Conversations)(nil)

// Conversations remembers the last turns of each conversation, by key (a
// platform's channel and thread), for a time to live after the last turn.
// With a directory, each change appends one fsynced line to
// conversations.jsonl (not a rewrite of every conversation); the file is
// compacted to the live conversations at open and when it has grown to
// twice their number, and read back at open, so a restart keeps them. A
// torn last line (a crash mid-append) is ignored with a warning. It is
// safe for concurrent use.
type Conversations struct {
	mu  sync.Mutex
	log *keyedLog // nil: in memory only
	ttl time.Duration
	now func() time.Time
	m   map[string][]Turn
}

// OpenConversations reads the conversations saved in dir ("" keeps them
// in memory only), migrating the older conversations.json once. A file
// that cannot be read, or is damaged before its last line, is an error;
// expired conversations are dropped.
func OpenConversations(dir string, ttl time.Duration, now func() time.Time) (*Conversations, error) {
	if ttl <= 0 {
		ttl = DefaultConversationTTL
	}
	if now == nil {
		now = time.Now
	}
	c := &Conversations{ttl: ttl, now: now, m: map[string][]Turn{}}
	if dir == "" {
		return c, nil
	}
	path, old := filepath.Join(dir, ConversationsFile), filepath.Join(dir, oldConversationsFile)
	raw, err := readKeyedLog(path, slog.Default())
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	if raw != nil {
		for k, v := range raw {
			var turns []Turn
			if err := json.Unmarshal(v, &turns); err != nil {
				return nil, fmt.Errorf("conversations: %s is damaged (%q: %v); move it away to start afresh", path, k, err)
			}
			c.m[k] = turns
		}
	} else if err := c.readOld(old); err != nil {
		return nil, err
	}
	c.expire()
	if c.log, err = openKeyedLog(path, slog.Default(), c.encoded()); err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	// The log now holds every live conversation: the old file is done with.
	if err := os.Remove(old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	return c, nil
}

// readOld reads the whole-file format conversations were kept in before
// (nothing when there is no such file).
func (c *Conversations) readOld(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("conversations: %w", err)
	}
	if err := json.Unmarshal(data, &c.m); err != nil {
		return fmt.Errorf("conversations: %s is damaged (%v); move it away to start afresh", path, err)
	}
	if c.m == nil {
		c.m = map[string][]Turn{}
	}
	return nil
}

// encoded returns the conversations as the log's values; c.mu is held or
// c is not shared yet.
func (c *Conversations) encoded() map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(c.m))
	for k, turns := range c.m {
		out[k], _ = json.Marshal(turns) // Turns always marshal
	}
	return out
}

// expire drops conversations past their time to live; c.mu is held.
func (c *Conversations) expire() {
	now := c.now()
	for k, turns := range c.m {
		if len(turns) == 0 || now.Sub(turns[len(turns)-1].At) >= c.ttl {
			delete(c.m, k)
		}
	}
}

// Get returns the conversation's turns, oldest first (nil when there is
// none or it expired).
func (c *Conversations) Get(key string) []Turn {
	c.mu.Lock()
	defer c.mu.Unlock()
	turns := c.m[key]
	if len(turns) == 0 || c.now().Sub(turns[len(turns)-1].At) >= c.ttl {
		return nil
	}
	return append([]Turn(nil), turns...)
}

// Has reports whether the conversation exists and has not expired.
func (c *Conversations) Has(key string) bool { return c.Get(key) != nil }

// Append adds a turn to the conversation (keeping the last MaxTurns) and
// saves. A failure to save is returned; the turn is kept in memory.
func (c *Conversations) Append(key string, t Turn) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.At.IsZero() {
		t.At = c.now()
	}
	turns := append(c.m[key], t)
	if len(turns) > MaxTurns {
		turns = append([]Turn(nil), turns[len(turns)-MaxTurns:]...)
	}
	c.m[key] = turns
	c.expire()
	return c.save(key)
}

// Replace sets the conversation's turns (keeping the last MaxTurns) and
// saves: a Discord follow-up starts a new conversation key that carries
// the turns before it.
func (c *Conversations) Replace(key string, turns []Turn) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(turns) > MaxTurns {
		turns = turns[len(turns)-MaxTurns:]
	}
	turns = append([]Turn(nil), turns...)
	for i := range turns {
		if turns[i].At.IsZero() {
			turns[i].At = c.now()
		}
	}
	c.m[key] = turns
	c.expire()
	return c.save(key)
}

// Len returns how many live conversations are kept.
func (c *Conversations) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire()
	return len(c.m)
}

// save appends key's turns to the log, and compacts it when it has grown
// to twice the live conversations; c.mu is held.
func (c *Conversations) save(key string) error {
	if c.log == nil {
		return nil
	}
	if err := c.log.set(key, c.m[key]); err != nil {
		return fmt.Errorf("conversations: %w", err)
	}
	if c.log.grown(len(c.m)) {
		if err := c.log.compact(c.encoded()); err != nil {
			return fmt.Errorf("conversations: compact: %w", err)
		}
	}
	return nil
}

// Close closes the file (a Conversations in memory has none).
func (c *Conversations) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.log == nil {
		return nil
	}
	return c.log.close()
}
