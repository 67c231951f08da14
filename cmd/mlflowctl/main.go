// Command mlflowctl deploys and runs a secure, self-hosted MLflow on AWS.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mlflowctl/mlflowctl/internal/cli"
)

// Set by the linker (see Makefile and .goreleaser.yaml).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Execute(ctx, cli.BuildInfo{Version: version, Commit: commit, Date: date}, os.Args[1:],
		cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	// The exit code reads ctx to tell an interrupt from a failure, so it is
	// decided before stop() cancels ctx.
	code := exitCode(ctx, err)
	stop()
	if err != nil {
		cli.Report(os.Stdout, os.Stderr, err, code, errorLine(code, err))
	}
	os.Exit(code)
}

// exitCode is the one place errors become exit codes:
// 0 ok, 1 failed, 2 bad usage or config, 130 interrupted.
func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return 0
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return 130
	}
	return 1
}

// errorLine is what the user reads last. An interrupt reads as one, not
// as Go's "context canceled".
func errorLine(code int, err error) string {
	if code != 130 || !errors.Is(err, context.Canceled) {
		return "Error: " + err.Error()
	}
	msg := strings.TrimSuffix(strings.TrimSuffix(err.Error(), "context canceled"), ": ")
	if msg == "" {
		return "Interrupted."
	}
	return "Interrupted: " + msg
}
