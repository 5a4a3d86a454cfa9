package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/store"
)

func TestNewEmbedderSpecs(t *testing.T) {
	tests := []struct {
		spec    string
		cfg     store.EmbedderConfig
		name    string
		dim     int  // for hash embedders
		bad     bool // errors.Is ErrBadEmbedder
		anyErr  bool
		errText string
	}{
		{spec: "", name: "hash-v1", dim: embed.DefaultHashDim},
		{spec: "hash", name: "hash-v1", dim: embed.DefaultHashDim},
		{spec: "  hash  ", name: "hash-v1", dim: embed.DefaultHashDim},
		{spec: "hash:64", name: "hash-v1", dim: 64},
		{spec: "hash:8", name: "hash-v1", dim: 8},
		{spec: "hash:4096", name: "hash-v1", dim: 4096},
		{spec: "hash:7", bad: true},
		{spec: "hash:4097", bad: true},
		{spec: "hash:abc", bad: true},
		{spec: "hash:", name: "hash-v1", dim: embed.DefaultHashDim},
		{spec: "ollama", bad: true},
		{spec: "ollama:", bad: true},
		{spec: "openai:", bad: true},
		{spec: "bert", bad: true},
		{spec: "HASH", bad: true},
		{spec: "ollama:nomic-embed-text", name: "ollama:nomic-embed-text"},
		{spec: "openai:text-embedding-3-small", cfg: store.EmbedderConfig{OpenAIKey: "k"}, name: "openai:text-embedding-3-small"},
		{spec: "openai:local", cfg: store.EmbedderConfig{OpenAIBaseURL: "http://127.0.0.1:1/v1"}, name: "openai:local"},
		{spec: "openai:text-embedding-3-small", anyErr: true, errText: "OPENAI_API_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			e, err := store.NewEmbedder(tt.spec, tt.cfg)
			switch {
			case tt.bad:
				if !errors.Is(err, store.ErrBadEmbedder) {
					t.Fatalf("err = %v, want ErrBadEmbedder", err)
				}
				return
			case tt.anyErr:
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("err = %v, want one naming %s", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Name() != tt.name {
				t.Errorf("Name = %q, want %q", e.Name(), tt.name)
			}
			if tt.dim > 0 {
				h, ok := e.(*embed.Hash)
				if !ok || h.Dim != tt.dim {
					t.Errorf("embedder %#v, want a hash embedder of dimension %d", e, tt.dim)
				}
			}
		})
	}
}

func vecNorm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// fakeEmbeddings answers with the queued vectors in turn (the last one
// repeats) or with status when it is not 200.
type fakeEmbeddings struct {
	mu      sync.Mutex
	vectors [][]float32
	status  int
	calls   int
	lastReq map[string]any
	auth    string
	path    string
}

func (f *fakeEmbeddings) next(r *http.Request) ([]float32, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.path = r.URL.Path
	f.auth = r.Header.Get("Authorization")
	f.lastReq = nil
	json.NewDecoder(r.Body).Decode(&f.lastReq)
	i := min(f.calls, len(f.vectors)-1)
	f.calls++
	if f.status != 0 && f.status != http.StatusOK {
		return nil, f.status
	}
	return f.vectors[i], http.StatusOK
}

func ollamaServer(t *testing.T, f *fakeEmbeddings) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/embeddings" {
			http.NotFound(w, r)
			return
		}
		v, status := f.next(r)
		if status != http.StatusOK {
			http.Error(w, "model not found", status)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"embedding": v})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func openAIServer(t *testing.T, f *fakeEmbeddings) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
			http.NotFound(w, r)
			return
		}
		v, status := f.next(r)
		if status != http.StatusOK {
			w.WriteHeader(status)
			w.Write([]byte(`{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}`))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"object": "list",
			"data":   []map[string]any{{"object": "embedding", "index": 0, "embedding": v}},
			"model":  "text-embedding-3-small",
			"usage":  map[string]int{"prompt_tokens": 3, "total_tokens": 3},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRemoteEmbedders(t *testing.T) {
	type setup func(t *testing.T, f *fakeEmbeddings) (embed.Embedder, error)
	ollama := func(t *testing.T, f *fakeEmbeddings) (embed.Embedder, error) {
		srv := ollamaServer(t, f)
		return store.NewEmbedder("ollama:nomic-embed-text", store.EmbedderConfig{OllamaURL: srv.URL + "/"})
	}
	openai := func(t *testing.T, f *fakeEmbeddings) (embed.Embedder, error) {
		srv := openAIServer(t, f)
		return store.NewEmbedder("openai:text-embedding-3-small", store.EmbedderConfig{OpenAIBaseURL: srv.URL + "/v1", OpenAIKey: "sk-test"})
	}
	backends := []struct {
		name      string
		new       setup
		textField string
		auth      string
	}{
		{"ollama", ollama, "prompt", ""},
		{"openai", openai, "input", "Bearer sk-test"},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Run("vectors are normalised", func(t *testing.T) {
				// The first vector is a unit vector: chromem-go then stops
				// normalising; briefbot must still normalise the second.
				f := &fakeEmbeddings{vectors: [][]float32{{0.6, 0.8, 0}, {3, 0, 4}}}
				e, err := b.new(t, f)
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				v1, err := e.Embed(ctx, "first text")
				if err != nil {
					t.Fatal(err)
				}
				v2, err := e.Embed(ctx, "second text")
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range [][]float32{v1, v2} {
					if math.Abs(vecNorm(v)-1) > 1e-5 {
						t.Errorf("vector %d = %v has norm %v, want 1", i, v, vecNorm(v))
					}
				}
				if math.Abs(float64(v2[0])-0.6) > 1e-6 || math.Abs(float64(v2[2])-0.8) > 1e-6 {
					t.Errorf("second vector %v, want [0.6 0 0.8]", v2)
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				if f.lastReq[b.textField] != "second text" {
					t.Errorf("request %v does not carry the text in %q", f.lastReq, b.textField)
				}
				if !strings.HasPrefix(f.lastReq["model"].(string), map[string]string{"ollama": "nomic", "openai": "text-embedding"}[b.name]) {
					t.Errorf("request %v names no model", f.lastReq)
				}
				if f.auth != b.auth {
					t.Errorf("Authorization %q, want %q", f.auth, b.auth)
				}
			})
			t.Run("server error is surfaced", func(t *testing.T) {
				f := &fakeEmbeddings{vectors: [][]float32{{1}}, status: http.StatusUnauthorized}
				e, err := b.new(t, f)
				if err != nil {
					t.Fatal(err)
				}
				_, err = e.Embed(context.Background(), "text")
				if err == nil || !strings.Contains(err.Error(), e.Name()) || !strings.Contains(err.Error(), "401") {
					t.Errorf("err = %v, want one naming %s and the 401", err, e.Name())
				}
			})
			t.Run("zero vector is an error", func(t *testing.T) {
				f := &fakeEmbeddings{vectors: [][]float32{{0, 0, 0}}}
				e, err := b.new(t, f)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.Embed(context.Background(), "text"); !errors.Is(err, embed.ErrZeroVector) {
					t.Errorf("err = %v, want ErrZeroVector", err)
				}
			})
			t.Run("empty embedding is an error", func(t *testing.T) {
				f := &fakeEmbeddings{vectors: [][]float32{{}}}
				e, err := b.new(t, f)
				if err != nil {
					t.Fatal(err)
				}
				if v, err := e.Embed(context.Background(), "text"); err == nil {
					t.Errorf("Embed = %v, want an error", v)
				}
			})
			t.Run("cancelled context", func(t *testing.T) {
				f := &fakeEmbeddings{vectors: [][]float32{{1, 0}}}
				e, err := b.new(t, f)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				if _, err := e.Embed(ctx, "text"); !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
			})
		})
	}
}

// TestRemoteEmbedderUnreachable points an embedder at a closed port.
func TestRemoteEmbedderUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	e, err := store.NewEmbedder("ollama:m", store.EmbedderConfig{OllamaURL: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Embed(context.Background(), "text"); err == nil || !strings.Contains(err.Error(), "ollama:m") {
		t.Errorf("err = %v, want a connection error naming ollama:m", err)
	}
}
