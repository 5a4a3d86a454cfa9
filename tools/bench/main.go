// Command bench is briefbot's performance suite, kept out of the product
// module so that the briefbot binary and its go.mod carry none of it (nor
// gonum/plot): it makes scale corpora, measures a built briefbot binary's
// ingest, cold start, answer latency and memory, compares the engine with
// bare chromem-go in process, and plots the results. BENCHMARKS.md has the
// commands and the numbers they produced.
//
//	cd tools/bench && go run . --help
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// app holds what every subcommand shares: the output streams.
type app struct {
	stdout, stderr io.Writer
}

// run executes bench with args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "bench",
		Short:         "Measure briefbot's ingest, cold start, answer latency and memory (and make scale corpora, and plot)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(a.benchGenCmd(), a.benchRunCmd(), a.benchClusterCmd(), a.plotCmd())
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "bench:", strings.TrimPrefix(err.Error(), "bench: "))
		return 1
	}
	return 0
}
