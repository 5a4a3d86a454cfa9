package lexical

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestBuilderPostings checks the compact builder against postings counted
// directly: every term's postings in doc order with their frequencies, doc
// gaps large and small (varints of several bytes), terms repeated within a
// doc, empty docs; Index and AppendFlat give the same postings, and
// AppendFlat the bytes FlatPostings gives of the finished index.
func TestBuilderPostings(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	b := NewBuilder()
	const terms, docs = 300, 3000
	for i := range terms {
		b.Intern(string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	want := make([][]posting, terms)
	var total float64
	var docLen []float32
	for d := range docs {
		var ids []int32
		if d%97 != 0 { // every 97th doc is empty
			for range r.IntN(40) {
				// Term i appears in ~1/(i+1) of docs: long lists with small
				// gaps, short ones with gaps of thousands.
				id := int32(r.IntN(terms) * r.IntN(terms) / terms)
				ids = append(ids, id)
			}
		}
		count := map[int32]float32{}
		for _, id := range ids {
			count[id]++
		}
		for id := range int32(terms) {
			if c := count[id]; c > 0 {
				want[id] = append(want[id], posting{doc: int32(d), tf: c})
			}
		}
		b.Add(ids)
		docLen = append(docLen, float32(len(ids)))
		total += float64(len(ids))
	}
	if b.NumTerms() != terms || b.Term(5) != "fa" {
		t.Fatalf("lexicon: %d terms, term 5 %q", b.NumTerms(), b.Term(5))
	}
	if !reflect.DeepEqual(b.DocLens(), docLen) || b.AvgLen() != float32(total/docs) {
		t.Fatal("doc lengths differ")
	}
	flats := make([][]byte, terms)
	for id := range int32(terms) {
		if b.Count(id) != len(want[id]) {
			t.Fatalf("term %d: count %d, want %d", id, b.Count(id), len(want[id]))
		}
		flats[id] = b.AppendFlat(nil, id)
	}
	ix := b.Index()
	for id := range int32(terms) {
		if got := ix.postings[id]; !reflect.DeepEqual(got, want[id]) && len(got)+len(want[id]) > 0 {
			t.Fatalf("term %d: postings %v, want %v", id, got, want[id])
		}
		if !bytes.Equal(flats[id], ix.FlatPostings(id)) {
			t.Fatalf("term %d: AppendFlat differs from FlatPostings", id)
		}
	}
	if ix.Len() != docs || ix.AvgLen() != float32(total/docs) {
		t.Fatal("index doc lengths differ")
	}
}
