package lexicon

//go:generate go run ./internal/gen -wordnet /usr/share/wordnet -types types.txt.gz

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed types.txt.gz
var typesGz []byte

// Member is a word or two-word name of a kind (see Members).
type Member struct {
	// Words are the member's words, lower-case: ["france"],
	// ["south", "korea"].
	Words []string
	// Instance marks a proper name (France, Texas), written capitalised;
	// other members are common nouns (dolphin, measles).
	Instance bool
}

// hierarchy is the decoded answer-type table: WordNet's noun synsets
// below the kinds a question may ask for, as a tree of nodes.
type hierarchy struct {
	words    [][]Member
	children [][]int32
	byWord   map[string][]int32
	mu       sync.Mutex
	members  map[string][]Member
}

var (
	typesOnce   sync.Once
	typesLoaded *hierarchy
	typesErr    error
)

func types() *hierarchy {
	typesOnce.Do(func() {
		typesLoaded, typesErr = decodeTypes(typesGz)
		if typesErr != nil {
			typesLoaded = &hierarchy{byWord: map[string][]int32{}, members: map[string][]Member{}}
		}
	})
	return typesLoaded
}

// LoadTypes decodes the answer-type table if that has not been done yet
// and reports whether it is sound.
func LoadTypes() error {
	_ = types()
	return typesErr
}

// Members returns the words and names WordNet files below the kind a
// question names ("country": France, Texas is not; "animal": dolphin,
// rabbit), nil when kind is no noun of the table or too general a one
// (person, thing). kind is a lower-case singular noun. The result is
// shared: do not modify it.
func Members(kind string) []Member {
	h := types()
	h.mu.Lock()
	defer h.mu.Unlock()
	if m, ok := h.members[kind]; ok {
		return m
	}
	if len(h.byWord[kind]) == 0 {
		return nil // not cached: the cache holds the table's kinds only
	}
	var out []Member
	seen := map[string]bool{}
	visited := map[int32]bool{}
	stack := slices.Clone(h.byWord[kind])
	for _, n := range stack {
		visited[n] = true
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range h.children[n] {
			if visited[c] {
				continue
			}
			visited[c] = true
			stack = append(stack, c)
			for _, m := range h.words[c] {
				key := strings.Join(m.Words, " ")
				if m.Instance {
					key = "^" + key
				}
				if key != kind && !seen[key] {
					seen[key] = true
					out = append(out, m)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Member) int {
		if c := slices.Compare(a.Words, b.Words); c != 0 {
			return c
		}
		switch {
		case a.Instance == b.Instance:
			return 0
		case a.Instance:
			return 1
		}
		return -1
	})
	h.members[kind] = out
	return out
}

func decodeTypes(gz []byte) (*hierarchy, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("lexicon: types table: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("lexicon: types table: %w", err)
	}
	h := &hierarchy{byWord: map[string][]int32{}, members: map[string][]Member{}}
	var parents [][]int32
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		n := int32(len(h.words))
		ws, ps, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("lexicon: types table: node %d: no tab", n)
		}
		var ms []Member
		for _, w := range strings.Split(ws, ",") {
			if w == "" {
				continue
			}
			inst := strings.HasPrefix(w, "^")
			w = strings.TrimPrefix(w, "^")
			ms = append(ms, Member{Words: strings.Split(w, "_"), Instance: inst})
		}
		ps, kinds, _ := strings.Cut(ps, "\t")
		for _, k := range strings.Split(kinds, ",") {
			if k != "" {
				h.byWord[k] = append(h.byWord[k], n)
			}
		}
		h.words = append(h.words, ms)
		var p []int32
		for _, f := range strings.Fields(ps) {
			j, err := strconv.Atoi(f)
			if err != nil || j < 0 {
				return nil, fmt.Errorf("lexicon: types table: node %d: bad parent %q", n, f)
			}
			p = append(p, int32(j))
		}
		parents = append(parents, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("lexicon: types table: %w", err)
	}
	h.children = make([][]int32, len(h.words))
	for n, ps := range parents {
		for _, p := range ps {
			if int(p) >= len(h.words) {
				return nil, fmt.Errorf("lexicon: types table: node %d: parent %d out of range", n, p)
			}
			h.children[p] = append(h.children[p], int32(n))
		}
	}
	return h, nil
}
