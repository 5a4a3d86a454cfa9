// Package seeds embeds the seed briefings that briefbot serves when its data
// directory holds no store, so that a fresh checkout answers questions with no
// setup at all.
package seeds

import (
	"embed"
	"io/fs"
)

//go:embed *.txt
var files embed.FS

// FS returns the seed briefings as a read-only file system whose root holds
// one .txt file per briefing.
func FS() fs.FS { return files }
