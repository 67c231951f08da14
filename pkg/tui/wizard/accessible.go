package wizard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// runAccessible asks the same questions as plain prompts: numbered
// choices and typed answers, one per line, readable by a screen reader and
// answerable from a pipe (an empty line takes the default).
func runAccessible(ctx context.Context, o Options) (res Result, err error) {
	lw := &lineWriter{w: o.Out}
	o.Out = lw
	defer func() {
		if errors.Is(err, ErrAborted) && lw.open {
			_, _ = fmt.Fprintln(lw) // Ctrl-C at a prompt: the error goes on a line of its own
		}
	}()
	o.NoColor = true
	s := newState(o)
	s.accessible = true
	in, w := o.In, o.Out
	for st := stepProfile; st != stepSummary; st = nextStep(st, s.ans) {
		if err := ctx.Err(); err != nil {
			return Result{}, ErrAborted
		}
		if s.needsLookup(st) {
			s.apply(s.lookup(st)(ctx))
		}
		if note := s.lookupNote(st); note != "" {
			_, _ = fmt.Fprintln(w, trimLines(note))
		}
		if err := s.ask(ctx, st, in, w); err != nil {
			return Result{}, err
		}
		s.afterAnswer(st)
	}
	if ctx.Err() != nil {
		return Result{}, ErrAborted
	}
	return s.finishAccessible(ctx, in, w)
}

func (s *state) ask(ctx context.Context, st step, in io.Reader, w io.Writer) error {
	return prompter{ctx: ctx, in: in, w: w}.ask(s.question(st))
}

// finishAccessible shows the summary and writes the file. A Ctrl-C while
// a prompt waits ends that prompt with its default, so the context is
// checked after each answer before anything is written.
func (s *state) finishAccessible(ctx context.Context, in io.Reader, w io.Writer) (Result, error) {
	res := Result{Config: s.ans.Config(s.o.Base), Answers: s.ans}
	_, _ = fmt.Fprintln(w, "Summary\n"+trimLines(s.summary()))
	_, _ = fmt.Fprintln(w)
	err := s.ask(ctx, stepSummary, in, w)
	if err == nil && ctx.Err() != nil {
		err = ErrAborted
	}
	if err != nil || !s.write {
		_, _ = fmt.Fprintln(w, "Nothing was written.")
		return Result{}, err
	}
	replace := false
	if fileExists(s.o.Path) {
		err := s.ask(ctx, stepOverwrite, in, w)
		if err == nil && ctx.Err() != nil {
			err = ErrAborted
		}
		if err != nil {
			return Result{}, err
		}
		if !s.overwrite {
			res.KeptExisting = true
			_, _ = fmt.Fprint(w, trimLines(s.doneText(res)))
			return res, nil
		}
		replace = true
	}
	if err := WriteFile(s.o.Path, res.Config, replace); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return res, fmt.Errorf("%s appeared while the wizard ran; run it again to replace it", s.o.Path)
		}
		return res, err
	}
	res.Written = true
	_, _ = fmt.Fprint(w, trimLines(s.doneText(res)))
	return res, nil
}

// lineWriter remembers whether the last line written is still open (a
// prompt waiting for its answer).
type lineWriter struct {
	w    io.Writer
	open bool
}

func (l *lineWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		l.open = p[len(p)-1] != '\n'
	}
	return l.w.Write(p)
}

// trimLines drops the spaces lipgloss pads each line of a fixed-width
// block with: a pipe keeps them and a screen reader reads them out.
func trimLines(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// lineReader hands out at most one line per Read. huh's accessible prompts
// wrap the reader in a new bufio.Scanner for every question; without this
// the first scanner would swallow every answer piped in. When ctx ends
// (Ctrl-C) a waiting Read returns io.EOF, so the prompt gives up.
type lineReader struct {
	ctx     context.Context
	r       *bufio.Reader
	pending []byte
	lines   chan readLine
}

type readLine struct {
	line []byte
	err  error
}

func newLineReader(ctx context.Context, r io.Reader) *lineReader {
	return &lineReader{ctx: ctx, r: bufio.NewReader(r)}
}

// LineReader wraps r for accessible mode; a caller that reads the same
// input after the wizard (the confirmation of `up`) passes the wrapped
// reader both ways, so no answer is lost in a buffer. Wrapping twice
// returns the reader as it is.
func LineReader(ctx context.Context, r io.Reader) io.Reader {
	if l, ok := r.(*lineReader); ok {
		return l
	}
	return newLineReader(ctx, r)
}

func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.pending) == 0 {
		line, err := l.next()
		if len(line) == 0 && err != nil {
			return 0, err
		}
		l.pending = line
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}

// next reads one line in a goroutine, so a cancelled context need not
// wait for the user to press Enter; an unfinished read is picked up by
// the following call.
func (l *lineReader) next() ([]byte, error) {
	if l.lines == nil {
		l.lines = make(chan readLine, 1)
		go func() {
			line, err := l.r.ReadBytes('\n')
			l.lines <- readLine{line, err}
		}()
	}
	select {
	case got := <-l.lines:
		l.lines = nil
		return got.line, got.err
	case <-l.ctx.Done():
		return nil, io.EOF
	}
}
