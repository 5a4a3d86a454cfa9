package lexicon

// Test hooks for the external tests.
var (
	Decode      = decode
	WordNetGz   = wordnetGz
	TypesGz     = typesGz
	DecodeTypes = func(gz []byte) error { _, err := decodeTypes(gz); return err }
	NewsText    = newsText
	AbbrText    = abbrText
)

// Entries returns the number of words the WordNet table holds.
func Entries() int { return len(tables().wordnet) }

// NewsWords returns every word of news.txt, keys and associations.
func NewsWords() []string {
	var out []string
	for k, vs := range tables().news {
		out = append(out, k)
		out = append(out, vs...)
	}
	return out
}

// Abbreviations returns every abbreviation with its expansions.
func Abbreviations() map[string][][]string { return tables().expand }
