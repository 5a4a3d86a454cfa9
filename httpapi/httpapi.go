// Package httpapi is briefbot's HTTP API: GET /api/ask (the answer
// contract), GET /healthz and GET /metrics, behind an access log and a
// recover middleware. It knows the service only through small interfaces
// (Asker, Ready, Health), so that it is tested with httptest and fakes,
// and `briefbot serve` mounts the adapters' routes next to it.
//
// Errors are answered as JSON {"error": SENTENCE}: the sentence of a
// bot.UserError for the user's mistakes (400) and for "not ready" (503),
// a fixed sentence for internal failures (500), whose cause goes to the
// log only.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval/dates"
)

// The 500 bodies: one true sentence each, no internals (the cause is logged).
const (
	TextAnswerFailed = "the answer failed; see the server log"
	TextInternal     = "internal error; see the server log"
)

// The 400 wording of /api/ask around bot's sentences.
const (
	textBadDate = "as_of is not a date (use YYYY-MM-DD)"
	// textEmptyHint follows the empty question's sentence.
	textEmptyHint = "pass it as ?q=..."
)

// Asker answers a question: *bot.Bot.
type Asker interface {
	Ask(ctx context.Context, q bot.Question) (bot.Answer, error)
}

// Health is one /healthz answer.
type Health struct {
	// Up is true when the service answers questions: 200, else 503.
	Up bool
	// Fields is the JSON object. It holds "status" ("ok", "loading",
	// "database unreachable") and what the service adds: the store's size,
	// and in a cluster the database, replica, leader and index fields.
	// A missing "status" is filled in: "ok" when Up, else "loading".
	Fields map[string]any
}

// Config wires a Handler to the service.
type Config struct {
	// Asker answers /api/ask.
	Asker Asker
	// Ready returns nil once Asker can answer, else why not: /api/ask
	// answers 503 with the bot.UserText of the error (bot.ErrNotReady's
	// "the store is still loading"). Nil means always ready.
	Ready func() error
	// Health answers /healthz. Nil means {"status":"ok"} always.
	Health func() Health
	// Metrics is mounted at GET /metrics; nil mounts nothing.
	Metrics http.Handler
	// Panicked is called once per panic recovered in a handler (a
	// counter); nil counts nothing.
	Panicked func()
	// Logger logs recovered panics (error) and every request (debug:
	// method, path, status, duration; never the query, which holds the
	// question). Nil discards.
	Logger *slog.Logger
}

// Handler is the API: a mux with the routes above, to which a caller may
// add more (the adapters' webhooks) before serving it through Handler.
type Handler struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	wrapped http.Handler // mux behind Wrap
}

// New returns the API's handler.
func New(cfg Config) *Handler {
	h := &Handler{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.mux.HandleFunc("GET /api/ask", h.ask)
	h.mux.HandleFunc("GET /healthz", h.health)
	if cfg.Metrics != nil {
		h.mux.Handle("GET /metrics", cfg.Metrics)
	}
	h.wrapped = h.Wrap(h.mux)
	return h
}

// Mux is the route table: adapters add their routes to it.
func (h *Handler) Mux() *http.ServeMux { return h.mux }

// Mounter is the optional interface of a chat adapter that takes webhooks
// (Slack's Events API, Discord's HTTP interactions): serve probes each
// bot.Adapter for it and mounts its routes on the API's Mux.
type Mounter interface {
	// Routes mounts the adapter's HTTP endpoints, if any, on mux.
	Routes(mux *http.ServeMux)
}

// Mount mounts the routes of every adapter in ads that is a Mounter on
// h's route table.
func (h *Handler) Mount(ads ...any) {
	for _, ad := range ads {
		if m, ok := ad.(Mounter); ok {
			m.Routes(h.mux)
		}
	}
}

// ServeHTTP serves the routes behind the access log and recover middleware.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.wrapped.ServeHTTP(w, r)
}

func (h *Handler) ask(w http.ResponseWriter, r *http.Request) {
	q := bot.Question{Text: r.URL.Query().Get("q"), Platform: bot.PlatformHTTP}
	if asOf := r.URL.Query().Get("as_of"); asOf != "" {
		t, err := dates.Parse(asOf)
		if err != nil {
			WriteError(w, http.StatusBadRequest, textBadDate)
			return
		}
		q.AsOf = t
	}
	if _, err := bot.CleanQuestion(q.Text); err != nil {
		WriteError(w, http.StatusBadRequest, questionText(err))
		return
	}
	if h.cfg.Ready != nil {
		if err := h.cfg.Ready(); err != nil {
			msg, ok := bot.UserText(err)
			if !ok {
				h.log.Warn("not ready", "err", err)
				msg, _ = bot.UserText(bot.ErrNotReady)
			}
			WriteError(w, http.StatusServiceUnavailable, msg)
			return
		}
	}
	ans, err := h.cfg.Asker.Ask(r.Context(), q)
	if err != nil {
		if msg, ok := bot.UserText(err); ok {
			code := http.StatusBadRequest
			if errors.Is(err, bot.ErrNotReady) {
				code = http.StatusServiceUnavailable
			}
			WriteError(w, code, msg)
			return
		}
		// The cause (a store error, a cancelled request) goes to the log
		// only: it may name files or the database.
		h.log.Error("answer failed", "path", r.URL.Path, "err", err)
		WriteError(w, http.StatusInternalServerError, TextAnswerFailed)
		return
	}
	WriteJSON(w, http.StatusOK, ans)
}

// questionText is the 400 sentence for a question bot rejects: its
// bot.UserText, with how to pass a question when it is empty.
func questionText(err error) string {
	msg, ok := bot.UserText(err)
	if !ok {
		return TextAnswerFailed
	}
	if errors.Is(err, bot.ErrEmptyQuestion) {
		return msg + ": " + textEmptyHint
	}
	return msg
}

func (h *Handler) health(w http.ResponseWriter, _ *http.Request) {
	st := Health{Up: true}
	if h.cfg.Health != nil {
		st = h.cfg.Health()
	}
	body := make(map[string]any, len(st.Fields)+1)
	for k, v := range st.Fields {
		body[k] = v
	}
	if _, ok := body["status"]; !ok {
		body["status"] = "ok"
		if !st.Up {
			body["status"] = "loading"
		}
	}
	code := http.StatusOK
	if !st.Up {
		code = http.StatusServiceUnavailable
	}
	WriteJSON(w, code, body)
}

// WriteJSON writes v as JSON with status, HTML characters unescaped.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away: nothing to tell it
}

// WriteError writes {"error": msg} with status.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, map[string]string{"error": msg})
}

// Wrap puts next behind the access log and the recover middleware: a
// panic in a handler becomes a 500 (when nothing was written yet), an
// error log with the stack and a call to Config.Panicked, never a dropped
// connection or a crash; http.ErrAbortHandler still cuts the connection.
// The access log records method, path, status and duration at debug level,
// never the query (it holds questions) nor headers (they hold tokens).
func (h *Handler) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p) // the handler asked for the connection to be cut
				}
				if h.cfg.Panicked != nil {
					h.cfg.Panicked()
				}
				h.log.Error("http handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p),
					"stack", string(debug.Stack()))
				if !rec.wrote {
					WriteError(rec, http.StatusInternalServerError, TextInternal)
				}
			}
			h.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

// statusRecorder captures a response status for the access log. It passes
// Flush and Unwrap through, so that handlers can flush (a deferred Discord
// reply) and set deadlines with http.ResponseController.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Flush implements http.Flusher.
func (r *statusRecorder) Flush() {
	r.wrote = true
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
