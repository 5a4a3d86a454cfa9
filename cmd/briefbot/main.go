// Command briefbot answers questions about news briefings with verbatim,
// cited quotes, on the command line, over HTTP, in Slack and in Discord, and
// posts daily digests. Run `briefbot --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// app holds what every subcommand shares: streams, environment and the
// global flags.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	dataFlag       string
	embedderFlag   string
}

// run executes briefbot with args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(stderr, "briefbot:", ee.msg)
			}
			return ee.code
		}
		fmt.Fprintln(stderr, "briefbot:", err)
		return 1
	}
	return 0
}

// exitError ends the command with a code (and an optional message).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "briefbot",
		Short: "Answer questions about your news briefings with verbatim, cited quotes",
		Long: `briefbot answers questions about a corpus of news briefings with verbatim quotes
and citations, on the command line, over HTTP, in Slack and in Discord, and posts
daily digests of the day's briefings.

With no data directory holding a store, every command serves the embedded seed
briefings, so this works on a fresh machine:

  briefbot ask "How many drones and missiles did Russia fire on Friday night?"

Feed it your own briefings with:

  briefbot ingest --data ./data path/to/briefings/`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitError{code: 2, msg: err.Error() + " (see 'briefbot " + c.Name() + " --help')"}
	})
	root.PersistentFlags().StringVar(&a.dataFlag, "data", "", "data directory (default $BRIEFBOT_DATA, else a per-user data directory)")
	root.PersistentFlags().StringVar(&a.embedderFlag, "embedder", "", "embedder: hash (default), hash:DIM, ollama:MODEL or openai:MODEL (default $BRIEFBOT_EMBEDDER)")
	root.AddCommand(a.askCmd(), a.ingestCmd(), a.sourcesCmd(), a.serveCmd(), a.discordCmd(), a.digestCmd(), a.evalCmd(), a.showCmd(), a.deleteCmd(), a.feedbackCmd())
	root.AddCommand(a.dbCmd())
	return root
}

// dataDir resolves the data directory: --data, else BRIEFBOT_DATA, else a
// per-user data directory.
func (a *app) dataDir() (string, error) {
	if a.dataFlag != "" {
		return a.dataFlag, nil
	}
	if d := a.getenv("BRIEFBOT_DATA"); d != "" {
		return d, nil
	}
	return userDataDir(a.getenv)
}

func userDataDir(getenv func(string) string) (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "briefbot"), nil
		}
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, "Library", "Application Support", "briefbot"), nil
		}
	default:
		if d := getenv("XDG_DATA_HOME"); d != "" {
			return filepath.Join(d, "briefbot"), nil
		}
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, ".local", "share", "briefbot"), nil
		}
	}
	return "", errors.New("cannot find a per-user data directory: set --data or BRIEFBOT_DATA")
}

// embedder builds the configured embedder: --embedder, else BRIEFBOT_EMBEDDER.
func (a *app) embedder() (embed.Embedder, error) {
	spec := a.embedderFlag
	if spec == "" {
		spec = a.getenv("BRIEFBOT_EMBEDDER")
	}
	return a.embedderFor(spec)
}

// embedderFor builds the embedder a spec names.
func (a *app) embedderFor(spec string) (embed.Embedder, error) { return embedderFor(spec, a.getenv) }

// embedderFor builds the embedder a spec names, with the API settings of
// the environment.
func embedderFor(spec string, getenv func(string) string) (embed.Embedder, error) {
	return store.NewEmbedder(spec, store.EmbedderConfig{
		OllamaURL:     getenv("BRIEFBOT_OLLAMA_URL"),
		OpenAIKey:     getenv("OPENAI_API_KEY"),
		OpenAIBaseURL: getenv("OPENAI_BASE_URL"),
	})
}

// openEngine loads the store in the data directory, or the embedded seeds.
func (a *app) openEngine(ctx context.Context, logger *slog.Logger) (*engine.Engine, string, error) {
	dir, err := a.dataDir()
	if err != nil {
		return nil, "", err
	}
	if url := a.corpusDatabaseURL(); url != "" {
		e, err := a.openClusterEngine(ctx, url, logger) // cluster mode: cluster_corpus.go
		return e, dir, err
	}
	emb, err := a.embedder()
	if err != nil {
		return nil, "", err
	}
	e, err := engine.Open(ctx, dir, engine.Options{Embedder: emb, Logger: logger})
	if err != nil {
		return nil, "", err
	}
	return e, dir, nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
