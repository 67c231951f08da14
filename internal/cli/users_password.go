package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/mlflowctl/mlflowctl/pkg/cognito"
)

// passwordAttempts is how often a terminal user may retry a password that
// is weak or was repeated wrongly.
const passwordAttempts = 3

// passwordFlags are the ways a command can be given a password.
type passwordFlags struct {
	stdin     bool
	temporary bool
	invite    bool
}

func (p *passwordFlags) register(fs *pflag.FlagSet, withInvite bool) {
	fs.BoolVar(&p.stdin, "password-stdin", false, "read the password from the first line of standard input")
	fs.BoolVar(&p.temporary, "temporary", false,
		"generate a strong temporary password, print it once; the user must change it at first login")
	if withInvite {
		fs.BoolVar(&p.invite, "invite", false,
			"let Cognito e-mail an invitation with a temporary password (without it, no e-mail is sent)")
	}
}

func (p passwordFlags) validate() error {
	if p.stdin && p.temporary {
		return usageErrorf("--password-stdin and --temporary both set a password: pass one of them")
	}
	if p.stdin && p.invite {
		return usageErrorf("--invite e-mails a temporary password, --password-stdin sets a permanent one: pass one of them (add --temporary to --invite to also see the password)")
	}
	return nil
}

func (p passwordFlags) given() bool { return p.stdin || p.temporary || p.invite }

// passwordSource produces credentials from the flags, standard input or
// a terminal prompt. A password read from standard input is read once and
// reused, so `seed --password-stdin` gives all new users the same one.
type passwordSource struct {
	flags  passwordFlags
	g      *globalOpts
	policy cognito.PasswordPolicy

	stdinPassword string
	stdinRead     bool
}

// credentials returns how to set the password of the user email.
func (s *passwordSource) credentials(email string) (cognito.Credentials, error) {
	switch {
	case s.flags.temporary:
		pw, err := s.policy.Generate()
		return cognito.Credentials{Password: pw, Temporary: true, Invite: s.flags.invite}, err
	case s.flags.invite:
		return cognito.Credentials{Invite: true}, nil
	case s.flags.stdin:
		pw, err := s.fromStdin()
		return cognito.Credentials{Password: pw}, err
	}
	t, ok := terminalFor(s.g)
	if !ok {
		return cognito.Credentials{}, usageErrorf(
			"no password for %s: pass --password-stdin, --temporary or --invite (or run on a terminal to be asked)", email)
	}
	pw, err := s.ask(t, email)
	return cognito.Credentials{Password: pw}, err
}

// maxPasswordLineBytes is 256 characters of up to 4 bytes each.
const maxPasswordLineBytes = 1024

func (s *passwordSource) fromStdin() (string, error) {
	if !s.stdinRead {
		// A Cognito password is at most 256 characters (1 KiB of UTF-8):
		// an input without a line end (< /dev/zero) is not read to its end.
		// readAnswer gives up on Ctrl-C: a read of a silent pipe cannot be interrupted.
		line, err := readAnswer(s.g.ctx, io.LimitReader(s.g.stdin, maxPasswordLineBytes+1))
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("--password-stdin: read standard input: %w", err)
		}
		if len(line) > maxPasswordLineBytes {
			return "", usageErrorf("--password-stdin: the first line of standard input is longer than a password can be (Cognito allows 256 characters): pipe the password alone, e.g. `printf '%%s\\n' \"$PW\" | mlflowctl users ...`")
		}
		s.stdinPassword = strings.TrimRight(line, "\r\n")
		s.stdinRead = true
	}
	if s.stdinPassword == "" {
		return "", usageErrorf("--password-stdin: standard input has no password: pipe one in, e.g. `printf '%%s\\n' \"$PW\" | mlflowctl users ...`")
	}
	if err := s.policy.Check(s.stdinPassword); err != nil {
		return "", usageErrorf("--password-stdin: %v", err)
	}
	return s.stdinPassword, nil
}

// ask prompts twice without echo, and again after a weak or mistyped
// password, up to passwordAttempts times.
func (s *passwordSource) ask(t terminal, email string) (string, error) {
	var problem error
	for range passwordAttempts {
		pw, err := t.ReadSecret(s.g.ctx, fmt.Sprintf("Password for %s: ", email))
		if err != nil {
			return "", err
		}
		if problem = s.policy.Check(pw); problem != nil {
			_, _ = fmt.Fprintln(s.g.stderr, problem)
			continue
		}
		again, err := t.ReadSecret(s.g.ctx, "Repeat the password: ")
		if err != nil {
			return "", err
		}
		if again != pw {
			problem = usageErrorf("the two passwords for %s differ", email)
			_, _ = fmt.Fprintln(s.g.stderr, "The passwords differ; try again.")
			continue
		}
		return pw, nil
	}
	return "", usageErrorf("no acceptable password for %s after %d attempts: %v", email, passwordAttempts, problem)
}

// terminal is an interactive user: secrets are read without echo.
type terminal interface {
	ReadSecret(ctx context.Context, prompt string) (string, error)
	ReadLine(ctx context.Context, prompt string) (string, error)
}

// terminalFor returns the terminal on standard input, if there is one.
// Tests pass a reader that is itself a terminal.
func terminalFor(g *globalOpts) (terminal, bool) {
	if t, ok := g.stdin.(terminal); ok {
		return t, true
	}
	f, ok := g.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, false
	}
	return &fileTerminal{in: f, out: g.stderr}, true
}

// confirm asks a yes/no question; the answer is yes only for y or yes.
func confirm(ctx context.Context, t terminal, question string) (bool, error) {
	answer, err := t.ReadLine(ctx, question+" [y/N] ")
	if err != nil {
		return false, err
	}
	a := strings.ToLower(strings.TrimSpace(answer))
	return a == "y" || a == "yes", nil
}

// fileTerminal prompts on out (stderr) and reads from a terminal file.
type fileTerminal struct {
	in  *os.File
	out io.Writer
}

func (t *fileTerminal) ReadSecret(ctx context.Context, prompt string) (string, error) {
	fd := int(t.in.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read the terminal: %w", err)
	}
	_, _ = fmt.Fprint(t.out, prompt)
	pw, err := readUntilDone(ctx, func() (string, error) {
		b, err := term.ReadPassword(fd)
		return string(b), err
	})
	if ctx.Err() != nil {
		// Echo is off while ReadPassword waits; turn it back on.
		_ = term.Restore(fd, state)
	}
	_, _ = fmt.Fprintln(t.out)
	return pw, err
}

func (t *fileTerminal) ReadLine(ctx context.Context, prompt string) (string, error) {
	_, _ = fmt.Fprint(t.out, prompt)
	defer func() {
		if ctx.Err() != nil {
			// end the prompt's line (the terminal shows ^C on it), so the
			// interrupt's message has a line of its own
			_, _ = fmt.Fprintln(t.out)
		}
	}()
	return readUntilDone(ctx, func() (string, error) {
		var line []byte
		b := make([]byte, 1)
		for {
			// One byte at a time, so nothing after the line is consumed.
			n, err := t.in.Read(b)
			if n == 1 && b[0] != '\n' {
				line = append(line, b[0])
			}
			if err != nil || (n == 1 && b[0] == '\n') {
				return string(line), err
			}
		}
	})
}

// readUntilDone runs read, giving up when ctx ends (Ctrl-C).
func readUntilDone(ctx context.Context, read func() (string, error)) (string, error) {
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := read()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && !errors.Is(r.err, io.EOF) {
			return "", fmt.Errorf("read the terminal: %w", r.err)
		}
		return r.s, nil
	case <-ctx.Done():
		return "", errPromptInterrupted(ctx)
	}
}

// errPromptInterrupted is Ctrl-C at a prompt: every prompt comes before
// the command changes anything, so it says so. It wraps the context's
// error, so it is exit 130 and main prints "Interrupted: at the prompt;
// nothing changed", not "Error: context canceled".
func errPromptInterrupted(ctx context.Context) error {
	return fmt.Errorf("at the prompt; nothing changed: %w", ctx.Err())
}
