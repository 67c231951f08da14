package wizard

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/huh/v2"
)

// maxAnswer bounds one typed answer; the longest real one (an e-mail
// address) is 254 bytes.
const maxAnswer = 1024

// InputEndedError is accessible mode's input ending before a question got
// a valid answer: nothing is written, and like `init` without a terminal
// it is bad usage (exit 2). A rejected answer is never kept.
type InputEndedError struct{ Question string }

func (e *InputEndedError) Error() string {
	return fmt.Sprintf("the input ended at %q before a valid answer: give one line per question "+
		"(an empty line takes the default); nothing was written", e.Question)
}

// ExitCode marks missing answers as bad usage.
func (e *InputEndedError) ExitCode() int { return 2 }

// prompter asks questions as plain lines. Unlike huh's accessible fields
// (which index their options with an unchecked number when the input ends,
// and panic) every answer is checked here, a menu takes its value as well
// as its number, and the end of input is an error, never a guess.
type prompter struct {
	ctx context.Context
	in  io.Reader
	w   io.Writer
}

// line reads one answer. The reader is a lineReader, which hands out one
// line per Read, so a fresh bufio.Reader per line buffers nothing beyond it.
func (p prompter) line(q question) (string, error) {
	raw, err := bufio.NewReader(p.in).ReadString('\n')
	if p.ctx.Err() != nil {
		return "", ErrAborted
	}
	if raw == "" && err != nil {
		_, _ = fmt.Fprintln(p.w)
		return "", &InputEndedError{Question: plainTitle(q.title)}
	}
	return strings.TrimRight(raw, "\r\n"), nil
}

// plainTitle drops the "(default: …)" note from a title for messages.
func plainTitle(t string) string {
	before, _, _ := strings.Cut(t, " (default:")
	return before
}

// printable refuses what a terminal would interpret: control characters
// (escape sequences among them) and bytes that are not UTF-8.
func printable(s string) error {
	if len(s) > maxAnswer {
		return fmt.Errorf("the answer is longer than %d characters", maxAnswer)
	}
	if !utf8.ValidString(s) {
		return errors.New("the answer is not UTF-8 text")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return errors.New("the answer has a control character: type plain text")
		}
	}
	return nil
}

// ask asks q until it has a valid answer, then sets it.
func (p prompter) ask(q question) error {
	_, _ = fmt.Fprintln(p.w, q.title)
	if q.desc != "" {
		_, _ = fmt.Fprintln(p.w, q.desc)
	}
	if q.kind == qSelect {
		p.listSelect(q)
	}
	for {
		if q.kind == qMulti {
			p.listMulti(q)
		}
		_, _ = fmt.Fprint(p.w, p.prompt(q))
		ans, err := p.line(q)
		if err != nil {
			return err
		}
		done, err := p.take(q, strings.TrimSpace(ans))
		if err != nil {
			_, _ = fmt.Fprintf(p.w, "Invalid: %v\n", err)
			continue
		}
		if done {
			return nil
		}
	}
}

func (p prompter) prompt(q question) string {
	switch q.kind {
	case qSelect:
		def := q.selectDefault()
		return fmt.Sprintf("Enter a number between 1 and %d, or the value (empty: %s): ", len(q.options), cmp.Or(def.Value, def.Key))
	case qMulti:
		return "Toggle by number or value (several separated by spaces); 0 or an empty line when done: "
	case qConfirm:
		if *q.flag {
			return "[Y/n]: "
		}
		return "[y/N]: "
	}
	return "> "
}

func (p prompter) listSelect(q question) {
	for i, o := range q.options {
		_, _ = fmt.Fprintf(p.w, "%d. %s\n", i+1, o.Key)
	}
}

func (p prompter) listMulti(q question) {
	for i, o := range q.options {
		mark := " "
		if slices.Contains(*q.list, o.Value) {
			mark = "x"
		}
		_, _ = fmt.Fprintf(p.w, "%d. [%s] %s\n", i+1, mark, o.Key)
	}
}

// take applies one answer; done is false while a multi-select goes on.
func (p prompter) take(q question, ans string) (done bool, err error) {
	if err := printable(ans); err != nil {
		return false, err
	}
	switch q.kind {
	case qSelect:
		if ans == "" {
			*q.text = q.selectDefault().Value
			return true, nil
		}
		i, err := q.choice(ans)
		if err != nil {
			return false, err
		}
		*q.text = q.options[i].Value
		return true, nil
	case qMulti:
		return q.toggle(ans)
	case qConfirm:
		v, err := parseYesNo(ans, *q.flag)
		if err != nil {
			return false, err
		}
		*q.flag = v
		return true, nil
	}
	if ans == "" {
		ans = *q.text
	}
	if q.charLimit > 0 && len(ans) > q.charLimit {
		return false, fmt.Errorf("at most %d characters", q.charLimit)
	}
	if ans != "" && q.validate != nil {
		if err := q.validate(ans); err != nil {
			return false, err
		}
	}
	*q.text = ans
	return true, nil
}

// selectDefault is the option an empty line takes: the current answer,
// else the first option.
func (q question) selectDefault() huh.Option[string] {
	for _, opt := range q.options {
		if opt.Value == *q.text {
			return opt
		}
	}
	return q.options[0]
}

// choice finds an answer among the options: its number, its value, or its
// label's first word (as listed), ignoring case.
func (q question) choice(ans string) (int, error) {
	if n, err := strconv.Atoi(ans); err == nil {
		if n >= 1 && n <= len(q.options) {
			return n - 1, nil
		}
		return 0, fmt.Errorf("%d is not between 1 and %d", n, len(q.options))
	}
	for i, o := range q.options {
		if strings.EqualFold(o.Value, ans) {
			return i, nil
		}
	}
	for i, o := range q.options {
		if f := strings.Fields(o.Key); len(f) > 0 && strings.EqualFold(f[0], ans) {
			return i, nil
		}
	}
	values := make([]string, 0, len(q.options))
	for _, o := range q.options {
		if o.Value != "" {
			values = append(values, o.Value)
		}
	}
	return 0, fmt.Errorf("%q is not a choice: enter a number between 1 and %d, or one of %s",
		ans, len(q.options), strings.Join(values, ", "))
}

// toggle flips the named options; 0 or an empty answer ends the question.
func (q question) toggle(ans string) (bool, error) {
	fields := strings.FieldsFunc(ans, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(fields) == 0 {
		return true, nil
	}
	var picks []int
	done := false
	for _, f := range fields {
		if f == "0" {
			done = true
			continue
		}
		i, err := q.choice(f)
		if err != nil {
			return false, err
		}
		picks = append(picks, i)
	}
	chosen := map[string]bool{}
	for _, v := range *q.list {
		chosen[v] = true
	}
	for _, i := range picks {
		v := q.options[i].Value
		chosen[v] = !chosen[v]
	}
	// The answer lists the options in their order, as the TUI does.
	list := []string{}
	for _, o := range q.options {
		if chosen[o.Value] {
			list = append(list, o.Value)
		}
	}
	*q.list = list
	return done, nil
}

func parseYesNo(ans string, def bool) (bool, error) {
	switch strings.ToLower(ans) {
	case "":
		return def, nil
	case "y", "yes":
		return true, nil
	case "n", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q is not an answer: type y or n (empty: %s)", ans, map[bool]string{true: "y", false: "n"}[def])
}
