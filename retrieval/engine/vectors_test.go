package engine

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

// TestNearestMatchesChromem checks that the engine's own scan finds the
// chunks chromem-go's QueryEmbedding finds, with the same similarities, both
// in memory and after a save and reload.
func TestNearestMatchesChromem(t *testing.T) {
	ctx := context.Background()
	mem, dir := savedSeeds(t)
	loaded, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	questions := []string{"What did the central bank decide about interest rates?", "wildfire evacuation", "election results", "x"}
	for name, e := range map[string]*Engine{"memory": mem, "loaded": loaded} {
		t.Run(name, func(t *testing.T) {
			ix := e.state()
			if len(ix.vecs) != e.Store().ChunkCount() {
				t.Fatalf("%d vectors for %d chunks", len(ix.vecs), e.Store().ChunkCount())
			}
			for _, q := range questions {
				v, _ := e.emb.Embed(ctx, q)
				for _, k := range []int{1, 5, 100, len(ix.vecs) + 3} {
					want, err := e.Store().QueryVector(ctx, v, k)
					if err != nil {
						t.Fatal(err)
					}
					got := ix.nearest(v, k)
					if len(got) != len(want) {
						t.Fatalf("%q k=%d: %d hits, chromem-go %d", q, k, len(got), len(want))
					}
					for i, w := range want {
						g := got[i]
						doc := ix.chunkBase[ix.artIdx[w.ArticleID]] + int32(w.Ordinal)
						if diff := g.sim - w.Similarity; diff > 1e-5 || diff < -1e-5 {
							t.Fatalf("%q k=%d hit %d: similarity %v, chromem-go %v", q, k, i, g.sim, w.Similarity)
						}
						if g.doc != doc && g.sim != w.Similarity {
							t.Errorf("%q k=%d hit %d: doc %d, chromem-go %d", q, k, i, g.doc, doc)
						}
					}
				}
			}
		})
	}
	// The reloaded engine answers exactly as the one that ingested.
	for _, q := range questions {
		a, _ := mem.Search(ctx, retrieval.Query{Text: q})
		b, _ := loaded.Search(ctx, retrieval.Query{Text: q})
		if !reflect.DeepEqual(a.Docs, b.Docs) {
			t.Errorf("%q: reloaded docs differ", q)
		}
	}
}

// TestNearestQuantizedExact checks that the int8 scan with exact re-scoring
// returns exactly what the full float scan returns, hits and order, on
// random unit vectors with duplicates (exact ties), dense and sparse queries.
func TestNearestQuantizedExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const dim = 64
	unit := func(sparse int) []float32 { return randomUnit(rng, dim, sparse) }
	for _, n := range []int{1, 7, qBlock - 1, qBlock, 3*qBlock + 17} {
		vecs := make([][]float32, n)
		for i := range vecs {
			if i > 2 && rng.IntN(5) == 0 {
				vecs[i] = vecs[rng.IntN(i)] // an exact duplicate
				continue
			}
			vecs[i] = unit(0)
		}
		ix := &index{vecs: vecs, qvecs: quantize(vecs, dim)}
		for trial := range 20 {
			q := unit([]int{0, 4, 12}[trial%3])
			for _, k := range []int{1, 5, 100, n + 3} {
				got, want := ix.nearest(q, k), ix.nearestExact(q, k)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("n=%d k=%d trial %d: quantised scan differs from the float scan", n, k, trial)
				}
			}
		}
	}
}
