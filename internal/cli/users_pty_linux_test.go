package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: what a test writes to master is
// typed on slave, and slave's echo can be read back from master.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	raw, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ioctlErr error
	// Control keeps the master non-blocking, so Close ends the drain below.
	if err := raw.Control(func(fd uintptr) {
		if ioctlErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioctlErr == nil {
			n, ioctlErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		}
	}); err != nil || ioctlErr != nil {
		t.Skipf("cannot unlock the pseudo-terminal: %v %v", err, ioctlErr)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open /dev/pts/%d: %v", n, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return m, s
}

// echoed collects everything the terminal shows (its echo).
type echoed struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (e *echoed) drain(master *os.File) {
	b := make([]byte, 256)
	for {
		n, err := master.Read(b)
		e.mu.Lock()
		e.buf.Write(b[:n])
		e.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (e *echoed) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.buf.String()
}

// prompts is stderr that reports each prompt as it is written.
type prompts struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan string
}

func (p *prompts) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.buf.Write(b)
	p.mu.Unlock()
	if s := string(b); strings.HasSuffix(s, ": ") || strings.HasSuffix(s, "] ") {
		p.ch <- s
	}
	return len(b), nil
}

// waitEcho waits, boundedly, until the terminal's echo is on or off.
func waitEcho(t *testing.T, slave *os.File, on bool) {
	t.Helper()
	for range 500 {
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if (tio.Lflag&unix.ECHO != 0) == on {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("terminal echo never turned %v", on)
}

// runOnTerminal runs mlflowctl with slave as standard input and answers
// each prompt by typing the next answer, once echo is as expected.
func runOnTerminal(t *testing.T, e *usersEnv, master, slave *os.File, answers []string, secret bool, args ...string) (string, error) {
	t.Helper()
	newDir(t)
	errW := &prompts{ch: make(chan string, 8)}
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- execute(context.Background(), BuildInfo{Version: "test"}, append(args, "--endpoint-url", e.url),
			IO{In: slave, Out: &out, Err: errW}, inTest(t, environment{}))
	}()
	for _, a := range answers {
		select {
		case <-errW.ch:
		case err := <-done:
			return out.String(), fmt.Errorf("ended before every answer was typed: %w", err)
		}
		if secret {
			waitEcho(t, slave, false)
		}
		if _, err := master.WriteString(a + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	err := <-done
	return out.String(), err
}

func TestUsersPromptOnARealTerminalDoesNotEcho(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	master, slave := openPTY(t)
	shown := &echoed{}
	go shown.drain(master)

	_, err := runOnTerminal(t, e, master, slave, []string{goodPassword, goodPassword}, true,
		"users", "add", "pat@example.com", "-g", "readers", "--user-pool-id", e.pool)
	if err != nil {
		t.Fatal(err)
	}
	if challenge, err := e.login(t, "pat@example.com", goodPassword); err != nil || challenge != "" {
		t.Fatalf("typed password not set: %q %v", challenge, err)
	}
	waitEcho(t, slave, true)

	// A confirmation is typed with echo on: the drain sees it, so it
	// would have seen an echoed password too.
	if _, err := runOnTerminal(t, e, master, slave, []string{"yes"}, false,
		"users", "remove", "pat@example.com", "--user-pool-id", e.pool); err != nil {
		t.Fatal(err)
	}
	if e.userCount(t) != 0 {
		t.Fatal("confirmed removal did not remove")
	}
	for range 500 {
		if strings.Contains(shown.String(), "yes") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := shown.String(); !strings.Contains(got, "yes") || strings.Contains(got, goodPassword) {
		t.Fatalf("terminal showed %q: want the echoed confirmation and no password", got)
	}
}

func TestSecretPromptRestoresEchoOnInterrupt(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	go (&echoed{}).drain(master)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := (&fileTerminal{in: slave, out: io.Discard}).ReadSecret(ctx, "Password: ")
		done <- err
	}()
	waitEcho(t, slave, false)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted prompt returned %v", err)
	}
	waitEcho(t, slave, true)
	// Release the abandoned read.
	_, _ = master.WriteString("\n")
}

// TestCtrlCAtAConfirmationSaysNothingChanged (issue 22 item 13, walk-through
// F17): Ctrl-C at `down`'s or `users remove`'s [y/N] printed
// "^CError: context canceled" on the prompt's line. The prompt's line is
// ended, and the error says nothing changed while staying an interrupt
// (exit 130; main prints "Interrupted: at the prompt; nothing changed").
func TestCtrlCAtAConfirmationSaysNothingChanged(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t)
	go (&echoed{}).drain(master)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		_, err := confirm(ctx, &fileTerminal{in: slave, out: out}, "Delete deployment \"demo\" as listed above?")
		done <- err
	}()
	out.waitFor(t, "[y/N] ")
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "nothing changed") {
		t.Fatalf("interrupted confirmation returned %v", err)
	}
	out.mu.Lock()
	got := out.buf.String()
	out.mu.Unlock()
	if !strings.HasSuffix(got, "[y/N] \n") {
		t.Fatalf("the prompt's line is not ended: %q", got)
	}
	// Release the abandoned read.
	_, _ = master.WriteString("\n")
}

func TestPipeIsNotATerminal(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, ok := terminalFor(&globalOpts{stdin: r}); ok {
		t.Fatal("a pipe was taken for a terminal")
	}
	_, slave := openPTY(t)
	if _, ok := terminalFor(&globalOpts{stdin: slave, stderr: io.Discard}); !ok {
		t.Fatal("a pseudo-terminal was not taken for a terminal")
	}
}
