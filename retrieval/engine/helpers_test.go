package engine

import (
	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/store"
)

func storeEmbedder(spec string) (embed.Embedder, error) {
	return store.NewEmbedder(spec, store.EmbedderConfig{})
}
