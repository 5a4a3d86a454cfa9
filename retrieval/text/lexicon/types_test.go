package lexicon_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval/text/lexicon"
)

func TestMembers(t *testing.T) {
	if err := lexicon.LoadTypes(); err != nil {
		t.Fatal(err)
	}
	has := func(kind, name string, instance bool) bool {
		return slices.ContainsFunc(lexicon.Members(kind), func(m lexicon.Member) bool {
			return strings.Join(m.Words, " ") == name && m.Instance == instance
		})
	}
	for _, c := range []struct {
		kind, name string
		instance   bool
	}{
		{"country", "france", true},
		{"country", "south korea", true},
		{"state", "texas", true},
		{"city", "paris", true},
		{"animal", "dolphin", false},
		{"animal", "rabbit", false},
		{"virus", "ebola virus", false},
		{"sport", "basketball", false},
	} {
		if !has(c.kind, c.name, c.instance) {
			t.Errorf("Members(%q) lacks %q (instance %v)", c.kind, c.name, c.instance)
		}
	}
	for _, c := range []struct{ kind, name string }{
		{"country", "paris"}, {"city", "france"}, {"animal", "france"},
	} {
		if has(c.kind, c.name, true) || has(c.kind, c.name, false) {
			t.Errorf("Members(%q) holds %q", c.kind, c.name)
		}
	}
	if m := lexicon.Members("nosuchkind"); m != nil {
		t.Errorf("Members(nosuchkind) = %d members, want none", len(m))
	}
}

// typesBudget is the most the embedded answer-type table may weigh.
const typesBudget = 1_000_000

func TestTypesTableWithinBudget(t *testing.T) {
	if n := len(lexicon.TypesGz); n > typesBudget {
		t.Errorf("types.txt.gz weighs %d bytes, budget %d", n, typesBudget)
	}
}

func TestDecodeTypesRejectsBrokenTables(t *testing.T) {
	for name, table := range map[string]string{
		"no tab":              "france\n",
		"bad parent":          "country\t\tcountry\nfrance\tx\n",
		"parent out of range": "country\t\tcountry\nfrance\t7\n",
	} {
		if err := lexicon.DecodeTypes(gz(t, table)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if err := lexicon.DecodeTypes([]byte("not gzip")); err == nil {
		t.Error("a table that is not gzip decoded without error")
	}
	if err := lexicon.DecodeTypes(gz(t, "# comment\ncountry,nation\t\tcountry\n^france\t0\n")); err != nil {
		t.Errorf("a sound table: %v", err)
	}
}
