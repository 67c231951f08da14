package cli

import (
	"encoding/json"
	"fmt"
	"io"
)

// runner is the shape of every command: check the input, ask for what is
// missing (only on a terminal), then act.
type runner interface {
	Validate() error
	Ask() error
	Execute() error
}

func run(r runner) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := r.Ask(); err != nil {
		return err
	}
	return r.Execute()
}

// noAsk is embedded by commands that never prompt.
type noAsk struct{}

func (noAsk) Ask() error { return nil }

// UsageError is bad input from the user: exit code 2, nothing changed.
type UsageError struct {
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

// ExitCode marks usage errors.
func (e *UsageError) ExitCode() int { return 2 }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
