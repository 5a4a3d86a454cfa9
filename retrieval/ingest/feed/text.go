package feed

import (
	"strings"

	xhtml "golang.org/x/net/html"
)

// StripTags returns the text of an HTML snippet: tags dropped (a <br> or
// <p> as a space), entities decoded. It accepts any input.
func StripTags(s string) string {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return b.String()
		case xhtml.TextToken:
			b.Write(z.Text())
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			if name, _ := z.TagName(); string(name) == "br" || string(name) == "p" {
				b.WriteByte(' ')
			}
		}
	}
}
