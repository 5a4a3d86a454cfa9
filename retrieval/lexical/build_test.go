package lexical

import "github.com/briefbot/briefbot/retrieval/text"

// Doc is one indexed unit (a chunk): its text and the extra text that
// belongs to it (the article title for the first chunk).
type Doc struct {
	Text  string
	Extra string
}

// Build indexes docs from text; doc i has id i.
func Build(docs []Doc) *Index {
	b := NewBuilder()
	var ids []int32
	for _, d := range docs {
		ids = ids[:0]
		for _, s := range []string{d.Text, d.Extra} {
			for _, t := range text.Terms(s) {
				ids = append(ids, b.Intern(t))
			}
		}
		b.Add(ids)
	}
	return b.Index()
}
