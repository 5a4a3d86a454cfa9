package ingest

import (
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/text"
)

// DefaultChunkWords is the target size of a chunk in words.
const DefaultChunkWords = 110

// Chunk cuts body into contiguous sentence-aligned windows of about
// maxWords words. Chunks cover the body with no gaps and no overlap: chunk i
// ends where chunk i+1 starts, so the body is the concatenation of its
// chunks and every offset maps back to the exact text. A sentence longer than
// maxWords is a chunk of its own.
func Chunk(articleID, body string, sents []text.Span, maxWords int) []retrieval.Chunk {
	if maxWords <= 0 {
		maxWords = DefaultChunkWords
	}
	if len(sents) == 0 {
		if body == "" {
			return nil
		}
		return []retrieval.Chunk{{ArticleID: articleID, Span: retrieval.Span{Start: 0, End: len(body)}}}
	}
	var chunks []retrieval.Chunk
	cur := retrieval.Chunk{ArticleID: articleID, Span: retrieval.Span{Start: 0}}
	words := 0
	flush := func(end int) {
		cur.Span.End = end
		cur.Ordinal = len(chunks)
		chunks = append(chunks, cur)
		cur = retrieval.Chunk{ArticleID: articleID, Span: retrieval.Span{Start: end}}
		words = 0
	}
	for i, s := range sents {
		w := text.WordCount(body[s.Start:s.End])
		if words > 0 && words+w > maxWords {
			flush(s.Start)
		}
		cur.Sentences = append(cur.Sentences, s)
		words += w
		if i == len(sents)-1 {
			flush(len(body))
		}
	}
	return chunks
}
