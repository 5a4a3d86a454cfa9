package engine

import (
	"context"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

func TestAskedKind(t *testing.T) {
	for _, c := range []struct{ q, want string }{
		{"Which country won the 2022 World Cup?", "country"},
		{"Which US state passed the law?", "state"},
		{"Which U.S. states sued the company?", "state"},
		{"In which city did the protest take place?", "city"},
		{"He is a valued member of which team?", "team"},
		{"What type of animal escaped from the zoo?", "animal"},
		{"Which cities hosted the games?", "city"},
		{"Which former pope was laid to rest this week?", "pope"},
		{"Where did the earthquake strike?", "location"},
		{"What is the name of the new law?", ""},
		{"Who won the election?", ""},
		{"Which two countries signed the pact?", "country"},
		{"How many people died?", ""},
		{"Which of these companies went bankrupt?", ""},
	} {
		if got := askedKind(c.q); got != c.want {
			t.Errorf("askedKind(%q) = %q, want %q", c.q, got, c.want)
		}
	}
}

func TestKindFeature(t *testing.T) {
	ctx := context.Background()
	e := memoryEngine(t,
		retrieval.Article{ID: "named", Body: "The summit on water rights will be held in France next spring, officials said."},
		retrieval.Article{ID: "capital", Body: "The summit on water rights will be held in Paris next spring, officials said."},
		retrieval.Article{ID: "common", Body: "The summit on water rights was delayed, officials said, to the annoyance of the Turkey delegation."},
		retrieval.Article{ID: "lower", Body: "The summit on water rights will be held far from any turkey farm, officials said."},
	)
	cands, err := e.Candidates(ctx, retrieval.Query{Text: "Which country will hold the summit on water rights?"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][numFeatures]float64{}
	for _, c := range cands {
		got[c.ArticleID] = c.Features
	}
	for id, want := range map[string]float64{"named": 1, "capital": 0, "common": 1, "lower": 0} {
		f, ok := got[id]
		if !ok {
			t.Fatalf("no candidate from %s: %v", id, cands)
		}
		if f[fKind] != want || f[fKindNamed] != want {
			t.Errorf("%s: kind %v kind_named %v, want %v", id, f[fKind], f[fKindNamed], want)
		}
	}
	// Without a kind in the question, the feature stays off.
	cands, err = e.Candidates(ctx, retrieval.Query{Text: "When will the summit on water rights be held?"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if c.Features[fKind] != 0 {
			t.Errorf("%s: kind %v for a question that names no kind", c.ArticleID, c.Features[fKind])
		}
	}
}

func TestKindFeatureCommonNoun(t *testing.T) {
	e := memoryEngine(t,
		retrieval.Article{ID: "dolphin", Body: "Rangers rescued a stranded dolphin from the flooded harbour on Tuesday."},
		retrieval.Article{ID: "boat", Body: "Rangers rescued a stranded boat from the flooded harbour on Tuesday."},
	)
	cands, err := e.Candidates(context.Background(), retrieval.Query{Text: "What animal did rangers rescue from the flooded harbour?"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][numFeatures]float64{}
	for _, c := range cands {
		got[c.ArticleID] = c.Features
	}
	if f := got["dolphin"]; f[fKind] != 1 || f[fKindNamed] != 0 {
		t.Errorf("a dolphin for what animal: kind %v kind_named %v, want 1 and 0", f[fKind], f[fKindNamed])
	}
	if f := got["boat"]; f[fKind] != 0 {
		t.Errorf("a boat for what animal: kind %v, want 0", f[fKind])
	}
}
