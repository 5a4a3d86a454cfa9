package ingest

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Legacy charsets ingest transcodes to UTF-8. ISO-8859-1 is read as
// windows-1252, as browsers do (the WHATWG encoding standard makes them
// one label), so that curly quotes in 0x80-0x9F survive.
var legacyCharsets = map[string]*charmap.Charmap{
	"windows-1252": charmap.Windows1252, "cp1252": charmap.Windows1252, "x-cp1252": charmap.Windows1252,
	"iso-8859-1": charmap.Windows1252, "iso8859-1": charmap.Windows1252, "iso_8859-1": charmap.Windows1252,
	"latin1": charmap.Windows1252, "latin-1": charmap.Windows1252, "l1": charmap.Windows1252,
	"us-ascii": charmap.Windows1252, "ascii": charmap.Windows1252,
	"iso-8859-15": charmap.ISO8859_15, "latin-9": charmap.ISO8859_15, "latin9": charmap.ISO8859_15,
}

// metaCharset finds <meta charset="X"> and <meta http-equiv="Content-Type"
// content="text/html; charset=X"> in the first bytes of a page.
var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)`)

// declaredCharset returns the lower-case charset an HTML page declares in
// its first 4 KiB, or "".
func declaredCharset(data []byte) string {
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	if m := metaCharset.FindSubmatch(head); m != nil {
		return strings.ToLower(string(m[1]))
	}
	return ""
}

// toUTF8 returns a document's text as UTF-8. Valid UTF-8 is returned as is
// (a page that declares latin-1 but is valid UTF-8 was saved as UTF-8: no
// real latin-1 text with accents is valid UTF-8). Otherwise a declared
// legacy charset is transcoded; a file without a declaration (.txt, .md, or
// an HTML page without one) is read as windows-1252, which decodes any byte
// sequence, and note says so. A declared charset briefbot does not know is
// refused as not UTF-8.
func toUTF8(data []byte, isHTML bool) (out []byte, note string, err error) {
	if utf8.Valid(data) {
		return data, "", nil
	}
	name := ""
	if isHTML {
		name = declaredCharset(data)
	}
	cm, known := legacyCharsets[name]
	switch {
	case name == "" || name == "utf-8" || name == "utf8":
		cm = charmap.Windows1252
		note = "not UTF-8; read as windows-1252"
	case !known:
		return nil, "", skip(ReasonNotUTF8, "declared charset "+name+" is not read")
	}
	out, err = cm.NewDecoder().Bytes(data)
	if err != nil {
		return nil, "", skip(ReasonNotUTF8, err.Error())
	}
	return out, note, nil
}
