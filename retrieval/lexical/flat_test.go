package lexical

import (
	"reflect"
	"testing"
)

// TestFromFlat rebuilds an index from its flat parts (as a mapped file
// holds them) and checks it searches as the original does; a posting whose
// doc id is outside the index is skipped, not a panic.
func TestFromFlat(t *testing.T) {
	ix := Build([]Doc{
		{Text: "The harbour bridge reopened on Monday."},
		{Text: "Traffic on the bridge resumed at noon.", Extra: "Bridge traffic"},
		{Text: "The council approved four tram stations."},
	})
	words := make([]string, ix.NumTerms())
	counts := make([]int, ix.NumTerms())
	var flat []byte
	for id := range int32(ix.NumTerms()) {
		words[id] = ix.Term(id)
		p := ix.FlatPostings(id)
		counts[id] = len(p) / PostingSize
		flat = append(flat, p...)
	}
	// A []byte from append is 8-byte aligned.
	got, err := FromFlat(words, counts, flat, ix.DocLens(), ix.AvgLen())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"bridge traffic", "tram council", "monday noon bridge"} {
		if a, b := ix.Search(query(ix, q), 10, nil), got.Search(query(got, q), 10, nil); !reflect.DeepEqual(a, b) {
			t.Errorf("%q: %v from the flat parts, %v from the original", q, b, a)
		}
	}
	if _, err := FromFlat(words, counts[1:], flat, ix.DocLens(), ix.AvgLen()); err == nil {
		t.Error("counts of another lexicon accepted")
	}
	if _, err := FromFlat(words, counts, flat[:len(flat)-PostingSize], ix.DocLens(), ix.AvgLen()); err == nil {
		t.Error("truncated postings accepted")
	}
	// Damage every doc id: Search skips them.
	bad := append([]byte(nil), flat...)
	for i := 0; i < len(bad); i += PostingSize {
		bad[i+3] = 0x7f
	}
	broken, err := FromFlat(words, counts, bad, ix.DocLens(), ix.AvgLen())
	if err != nil {
		t.Fatal(err)
	}
	if hits := broken.Search(query(broken, "bridge"), 10, nil); len(hits) != 0 {
		t.Errorf("hits from damaged postings: %v", hits)
	}
}
