package lexical

import (
	"reflect"
	"testing"
)

// Search's recycled norms follow K1 and B: after they change, an index
// that has searched before scores as a fresh one does; and a search
// repeated on recycled memory scores as the first did.
func TestSearchScratchFollowsParameters(t *testing.T) {
	docs := []Doc{
		{Text: "drones launched at Kyiv overnight"},
		{Text: "the central bank raised interest rates again, rates at a high"},
		{Text: "drones drones drones over the city and more drones", Extra: "Drone attack"},
		{Text: "a long story about interest in drones and banks and rates and many other words"},
	}
	q := []QueryTerm{{Term: "drone", Weight: 1, Of: "drone"}, {Term: "rate", Weight: 0.8, Of: "rate"}}
	ix := Build(docs)
	first := ix.Search(q, 10, nil)
	if again := ix.Search(q, 10, nil); !reflect.DeepEqual(again, first) {
		t.Fatalf("repeated search %v, first %v", again, first)
	}
	k1, b := K1, B
	defer func() { K1, B = k1, b }()
	K1, B = 2, 0.3
	got, want := ix.Search(q, 10, nil), Build(docs).Search(q, 10, nil)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after K1, B changed: %v, fresh index %v", got, want)
	}
	if reflect.DeepEqual(got, first) {
		t.Fatal("K1 and B changed nothing: the test does not test")
	}
}

// editDistance keeps its rows on the stack up to 47 bytes and allocates
// beyond: both give the distance.
func TestEditDistanceLong(t *testing.T) {
	long := "pneumonoultramicroscopicsilicovolcanoconiosisxyzzyplugh" // 56 bytes
	for _, c := range []struct {
		a, b string
		want int
	}{
		{long, long, 0},
		{long, long[:len(long)-1], 1},
		{long[1:], long, 1},
		{long[:47], long[:46] + "q", 1},
		{long[:48], long[:46] + "ba", 2},
	} {
		if got := editDistance(c.a, c.b, 2); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
