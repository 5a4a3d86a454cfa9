package engine

import (
	"container/list"
	"slices"
	"sync"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// answerCacheSize is how many answers an index keeps (a few KB each).
const answerCacheSize = 4096

// answerKey identifies a question as Search answers it. minute is the
// clock minute of a question without an as-of time: its recency boost is
// computed from the clock, so its answer is reused for a minute at most
// (the boost decays over days; a minute moves it by under 1e-4).
type answerKey struct {
	text         string
	within       string // Query.Within, joined
	asOf         time.Time
	minute       int64
	quotes, docs int
}

// answerCache is a least-recently-used cache of whole answers. It belongs
// to one index, so that any change of the store (a new index) empties it.
type answerCache struct {
	mu  sync.Mutex
	max int
	m   map[answerKey]*list.Element
	lru list.List // of *answerEntry, most recent first
}

type answerEntry struct {
	key answerKey
	res retrieval.Result
}

func newAnswerCache(n int) *answerCache {
	return &answerCache{max: n, m: make(map[answerKey]*list.Element)}
}

func (c *answerCache) get(k answerKey) (retrieval.Result, bool) {
	if c == nil {
		return retrieval.Result{}, false
	}
	c.mu.Lock()
	el, ok := c.m[k]
	if ok {
		c.lru.MoveToFront(el)
	}
	c.mu.Unlock()
	if !ok {
		return retrieval.Result{}, false
	}
	return cloneResult(el.Value.(*answerEntry).res), true
}

func (c *answerCache) put(k answerKey, r retrieval.Result) {
	if c == nil {
		return
	}
	r = cloneResult(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		el.Value.(*answerEntry).res = r
		c.lru.MoveToFront(el)
		return
	}
	c.m[k] = c.lru.PushFront(&answerEntry{key: k, res: r})
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.m, old.Value.(*answerEntry).key)
	}
}

// cloneResult copies a result's slices, so that a caller changing the answer
// it got cannot change the cached one.
func cloneResult(r retrieval.Result) retrieval.Result {
	r.Docs = slices.Clone(r.Docs)
	r.Quotes = slices.Clone(r.Quotes)
	for i := range r.Quotes {
		r.Quotes[i].AlsoIn = slices.Clone(r.Quotes[i].AlsoIn)
	}
	return r
}
