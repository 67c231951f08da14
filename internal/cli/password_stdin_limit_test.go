package cli

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/cognito"
)

// zeros is an input without a line end (as `< /dev/zero`), counting what
// was read from it; it ends after limit bytes so the test cannot hang.
type zeros struct{ read, limit int }

func (z *zeros) Read(p []byte) (int, error) {
	if z.read >= z.limit {
		return 0, io.EOF
	}
	n := min(len(p), z.limit-z.read)
	clear(p[:n])
	z.read += n
	return n, nil
}

// TestPasswordStdinWithoutALineEndIsRefusedEarly (a fresh bad input for
// issue 22): `users add … --password-stdin < /dev/zero` read standard
// input without end, looking for the first line, and never answered
// (Ctrl-C could not stop the read either). A Cognito password is at most
// 256 characters (AdminSetUserPassword, Password: "Maximum length of
// 256", https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminSetUserPassword.html):
// a first line longer than that is refused after reading at most 1 KiB.
func TestPasswordStdinWithoutALineEndIsRefusedEarly(t *testing.T) {
	t.Parallel()
	in := &zeros{limit: 64 << 20}
	s := &passwordSource{g: &globalOpts{ctx: t.Context(), stdin: in}, policy: cognito.PasswordPolicy{MinLength: 8}}
	_, err := s.fromStdin()
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "256") {
		t.Fatalf("exit %d: %v", exitCode(err), err)
	}
	if in.read > 4096 {
		t.Fatalf("read %d bytes of standard input looking for one line", in.read)
	}
}

// TestPasswordStdinEndsOnCtrlC (a fresh bad input for issue 22): with
// --password-stdin on a pipe that stays open and silent
// (`sleep 30 | mlflowctl users add … --password-stdin`), Ctrl-C did not
// end the command: the read of standard input could not be interrupted,
// and only SIGKILL stopped it. The read gives up when the command's
// context ends (Ctrl-C), which exits 130.
func TestPasswordStdinEndsOnCtrlC(t *testing.T) {
	t.Parallel()
	r, w := io.Pipe()
	t.Cleanup(func() { _ = w.Close() })
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // Ctrl-C, before any byte arrives
	s := &passwordSource{g: &globalOpts{ctx: ctx, stdin: r}, policy: cognito.PasswordPolicy{MinLength: 8}}
	done := make(chan error, 1)
	go func() { _, err := s.fromStdin(); done <- err }()
	// No deadline: a read that ignores Ctrl-C hangs here, and the test
	// binary's own -timeout reports it.
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the interrupt (context.Canceled)", err)
	}
}
