package cli

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// The exit-code contract (README, "Exit codes"): 2 means bad input and
// nothing changed in AWS. A command marks the moment it may start changing
// AWS (g.changing()); from then on no error leaves as exit 2, whatever
// raised it (a usage error from a deploy hook, a missing stack output):
// it is exit 1 with the real cause, or 130 for Ctrl-C.

// changeMark is shared by copies of globalOpts (init runs up on a copy).
type changeMark struct{ started atomic.Bool }

// changing records that the command is about to change AWS.
func (g *globalOpts) changing() {
	if g.mark != nil {
		g.mark.started.Store(true)
	}
}

// afterChangeError is an error raised after the command changed AWS.
type afterChangeError struct{ err error }

func (e *afterChangeError) Error() string {
	return fmt.Sprintf("%v\n(the command had already changed AWS)", e.err)
}

// Hint is the cause's own next step, else to fix it and run again.
func (e *afterChangeError) Hint() string {
	if h := Hint(e.err); h != "" {
		return h
	}
	return "fix the cause, then run the command again"
}

func (e *afterChangeError) Unwrap() error { return e.err }

// ExitCode is 1, or 130 for an interrupt.
func (e *afterChangeError) ExitCode() int {
	var c interface{ ExitCode() int }
	if errors.As(e.err, &c) && c.ExitCode() == 130 {
		return 130
	}
	return 1
}

// Silent keeps an error already reported (silentError) unprinted.
func (e *afterChangeError) Silent() bool { return silent(e.err) }

// settle applies the contract to a command's error.
func settle(mark *changeMark, err error) error {
	var c interface{ ExitCode() int }
	if err == nil || mark == nil || !mark.started.Load() || !errors.As(err, &c) || c.ExitCode() != 2 {
		return err
	}
	return &afterChangeError{err: err}
}

func silent(err error) bool {
	var s interface{ Silent() bool }
	return errors.As(err, &s) && s.Silent()
}
