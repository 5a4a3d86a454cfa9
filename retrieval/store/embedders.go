package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	chromem "github.com/philippgille/chromem-go"

	"github.com/briefbot/briefbot/retrieval/embed"
)

// EmbedderConfig holds what remote embedders need.
type EmbedderConfig struct {
	// OllamaURL is Ollama's base URL (default http://localhost:11434).
	OllamaURL string
	// OpenAIKey is the API key for openai: embedders.
	OpenAIKey string
	// OpenAIBaseURL points openai: embedders at a compatible server
	// (default https://api.openai.com/v1).
	OpenAIBaseURL string
}

// ErrBadEmbedder reports an embedder spec briefbot does not know.
var ErrBadEmbedder = errors.New("store: unknown embedder (want hash, hash:DIM, ollama:MODEL or openai:MODEL)")

// NewEmbedder returns the embedder a spec names: "hash" (the default, also
// "" and "hash:DIM"), "ollama:MODEL" or "openai:MODEL". Remote embedders use
// chromem-go's embedding functions; their vectors are normalised to unit
// length.
func NewEmbedder(spec string, cfg EmbedderConfig) (embed.Embedder, error) {
	kind, model, _ := strings.Cut(strings.TrimSpace(spec), ":")
	switch kind {
	case "", "hash":
		dim := embed.DefaultHashDim
		if model != "" {
			d, err := strconv.Atoi(model)
			if err != nil || d < 8 || d > 4096 {
				return nil, fmt.Errorf("%w: hash dimension %q", ErrBadEmbedder, model)
			}
			dim = d
		}
		return embed.NewHash(dim), nil
	case "ollama":
		if model == "" {
			return nil, fmt.Errorf("%w: ollama needs a model, e.g. ollama:nomic-embed-text", ErrBadEmbedder)
		}
		base := strings.TrimRight(cfg.OllamaURL, "/")
		if base == "" {
			base = "http://localhost:11434"
		}
		if !strings.HasSuffix(base, "/api") {
			base += "/api"
		}
		return &remote{name: "ollama:" + model, fn: chromem.NewEmbeddingFuncOllama(model, base)}, nil
	case "openai":
		if model == "" {
			return nil, fmt.Errorf("%w: openai needs a model, e.g. openai:text-embedding-3-small", ErrBadEmbedder)
		}
		base := strings.TrimRight(cfg.OpenAIBaseURL, "/")
		if base == "" {
			base = "https://api.openai.com/v1"
			if cfg.OpenAIKey == "" {
				return nil, errors.New("store: openai embedder needs OPENAI_API_KEY")
			}
		}
		return &remote{name: "openai:" + model, fn: chromem.NewEmbeddingFuncOpenAICompat(base, cfg.OpenAIKey, model, nil)}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrBadEmbedder, spec)
}

// remote adapts a chromem-go embedding function.
type remote struct {
	name string
	fn   chromem.EmbeddingFunc
}

func (r *remote) Name() string { return r.name }

func (r *remote) Embed(ctx context.Context, text string) ([]float32, error) {
	v, err := r.fn(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("embed with %s: %w", r.name, err)
	}
	v = append([]float32(nil), v...)
	if !embed.Normalize(v) {
		return nil, fmt.Errorf("embed with %s: %w", r.name, embed.ErrZeroVector)
	}
	return v, nil
}
