package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
)

// The error model, one for every command (README, "Errors"):
//
//   - an error type is named XxxError and a sentinel ErrXxx (the errname
//     linter holds the names);
//   - Error() says what went wrong, nothing more;
//   - an error that knows what the user does next says so with
//     Hint() string (one line or a few; commands in backticks);
//   - ExitCode() int gives a code other than 1 (2: bad input, nothing
//     changed; 130: interrupted); Silent() bool marks an error the command
//     already reported.
//
// Report is the one place that renders them: as text on stderr, and with
// -o json also as one error document on stdout.
type hinter interface{ Hint() string }

// Hint is the first non-empty hint in err's chain ("" when none).
func Hint(err error) string {
	for err != nil {
		var h hinter
		if !errors.As(err, &h) {
			return ""
		}
		if s := h.Hint(); s != "" {
			return s
		}
		e, _ := h.(error)
		err = errors.Unwrap(e)
	}
	return ""
}

// ErrorDocument is what a failed command prints on stdout with -o json,
// instead of its result document.
type ErrorDocument struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the failure: the message, what to do next, the exit code.
type ErrorBody struct {
	Message  string `json:"message"`
	Next     string `json:"next,omitempty"`
	ExitCode int    `json:"exitCode"`
}

// outputError carries to Report the output format the command ran with,
// and whether it already wrote its document to stdout.
type outputError struct {
	err        error
	json       bool
	documented bool
}

func (e *outputError) Error() string { return e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

func withOutput(format string, stdout *stdoutWriter, err error) error {
	if err == nil {
		return nil
	}
	return &outputError{err: err, json: format == "json", documented: stdout.wrote.Load()}
}

// stdoutWriter remembers whether the command wrote to stdout: with -o json
// whatever it wrote is its one document (down's, for one, reports its own
// failure in it), and Report does not add a second.
type stdoutWriter struct {
	w     io.Writer
	wrote atomic.Bool
}

func (s *stdoutWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		s.wrote.Store(true)
	}
	return s.w.Write(p)
}

// Fd keeps a terminal stdout recognisable (isTerminal).
func (s *stdoutWriter) Fd() uintptr {
	if f, ok := s.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// Report renders a command's error for the user: line ("Error: ..." or
// an interrupt's words) and the hint on stderr; with -o json, also the
// error document on stdout, unless the command wrote its own document
// there. An error the command already reported (Silent) is not rendered
// again.
func Report(stdout, stderr io.Writer, err error, code int, line string) {
	if err == nil || silent(err) {
		return
	}
	next := Hint(err)
	if next == "" {
		next = reachHint(err)
	}
	text := line
	if next != "" {
		text += "\nnext: " + strings.ReplaceAll(next, "\n", "\n      ")
	}
	_, _ = fmt.Fprintln(stderr, text)
	var oe *outputError
	if errors.As(err, &oe) && oe.json && !oe.documented {
		msg := strings.TrimPrefix(line, "Error: ")
		_ = writeJSON(stdout, ErrorDocument{Error: ErrorBody{Message: msg, Next: next, ExitCode: code}})
	}
}

// reachHint is the next step for a call that never reached its endpoint
// (connection refused, no such host, timeout): the SDK's own words after
// its retries name no fix.
func reachHint(err error) string {
	var ue *url.Error
	var op *net.OpError
	if !errors.As(err, &ue) || (!errors.As(ue.Err, &op) && !ue.Timeout()) {
		return ""
	}
	host := ue.URL
	if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
		host = u.Host
	}
	return fmt.Sprintf("mlflowctl could not reach %s: check the network and any proxy (HTTPS_PROXY), and --endpoint-url or AWS_ENDPOINT_URL if one is set", host)
}
