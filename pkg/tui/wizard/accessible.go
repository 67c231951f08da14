package wizard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// runAccessible asks the same questions as plain prompts: numbered
// choices and typed answers, one per line, readable by a screen reader and
// answerable from a pipe (an empty line takes the default).
func runAccessible(ctx context.Context, o Options) (Result, error) {
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
			_, _ = fmt.Fprintln(w, note)
		}
		if err := s.ask(st, in, w); err != nil {
			return Result{}, err
		}
	}
	return s.finishAccessible(in, w)
}

func (s *state) ask(st step, in io.Reader, w io.Writer) error {
	f := s.form(st).WithAccessible(true).WithInput(in).WithOutput(w)
	return f.Run()
}

func (s *state) finishAccessible(in io.Reader, w io.Writer) (Result, error) {
	res := Result{Config: s.ans.Config(s.o.Base), Answers: s.ans}
	_, _ = fmt.Fprintln(w, "Summary\n"+s.summary())
	_, _ = fmt.Fprintln(w)
	if err := s.ask(stepSummary, in, w); err != nil || !s.write {
		_, _ = fmt.Fprintln(w, "Nothing was written.")
		return res, err
	}
	replace := false
	if fileExists(s.o.Path) {
		if err := s.ask(stepOverwrite, in, w); err != nil {
			return res, err
		}
		if !s.overwrite {
			res.KeptExisting = true
			_, _ = fmt.Fprint(w, s.doneText(res))
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
	_, _ = fmt.Fprint(w, s.doneText(res))
	return res, nil
}

// lineReader hands out at most one line per Read. huh's accessible prompts
// wrap the reader in a new bufio.Scanner for every question; without this
// the first scanner would swallow every answer piped in.
type lineReader struct {
	r       *bufio.Reader
	pending []byte
}

func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.pending) == 0 {
		line, err := l.r.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			return 0, err
		}
		l.pending = line
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}
