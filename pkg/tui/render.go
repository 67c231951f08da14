package tui

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"golang.org/x/term"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/plural"
)

// Renderer draws progress from deploy events. Handle must return
// quickly; Close draws the final frame and gives the terminal back.
type Renderer interface {
	Handle(deploy.Event)
	Close() error
}

// Options choose and configure a renderer.
type Options struct {
	Stdout, Stderr io.Writer
	JSON           bool // -o json: one JSON object per event on Stdout
	NoTUI          bool // --no-tui: plain lines even on a terminal
	NoColor        bool // --no-color or NO_COLOR
	// Now is the clock for elapsed times (time.Now when nil).
	Now func() time.Time
}

// New picks the renderer: JSON lines with -o json; the live view when
// Stderr is a terminal (and TERM is not dumb, and --no-tui is off); plain
// timestamped lines on Stderr otherwise.
func New(o Options) Renderer {
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case o.JSON:
		return NewJSON(o.Stdout)
	case !o.NoTUI && IsTerminal(o.Stderr) && os.Getenv("TERM") != "dumb":
		return NewView(o.Stderr, !o.NoColor, o.Now)
	}
	return NewPlain(o.Stderr)
}

// Source is what renderers subscribe to (a *deploy.Engine).
type Source interface {
	Subscribe(func(deploy.Event)) (unsubscribe func())
}

// Watch subscribes the renderer New picks to src; call stop when the
// run is over to draw the final frame.
func Watch(src Source, o Options) (stop func() error) {
	r := New(o)
	unsubscribe := src.Subscribe(r.Handle)
	return func() error {
		unsubscribe()
		return r.Close()
	}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// JSON writes one JSON object per event.
type JSON struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSON returns a JSON-lines renderer writing to w.
func NewJSON(w io.Writer) *JSON { return &JSON{enc: json.NewEncoder(w)} }

// Handle writes the event as one line.
func (j *JSON) Handle(ev deploy.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(ev)
}

// Close does nothing: every line is already written.
func (j *JSON) Close() error { return nil }

// Plain writes one timestamped line per state change, for CI logs.
type Plain struct {
	mu    sync.Mutex
	w     io.Writer
	board *Board
}

// NewPlain returns a plain-line renderer writing to w.
func NewPlain(w io.Writer) *Plain { return &Plain{w: w, board: NewBoard()} }

// Handle writes the event's line, if it says something new.
func (p *Plain) Handle(ev deploy.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.board.Apply(ev)
	if line := p.line(ev); line != "" {
		_, _ = fmt.Fprintf(p.w, "%s %s\n", ev.Time.UTC().Format(time.RFC3339), line)
	}
}

func (p *Plain) line(ev deploy.Event) string {
	switch ev.Kind {
	case deploy.KindStart:
		if len(ev.Steps) > 0 {
			return fmt.Sprintf("%s %s, %s", ev.Op, plural.Count(len(ev.Stacks), "stack"), plural.Count(len(ev.Steps), "step"))
		}
		return fmt.Sprintf("%s %s", ev.Op, plural.Count(len(ev.Stacks), "stack"))
	case deploy.KindStep:
		if ev.Phase == deploy.PhaseWaiting {
			return ""
		}
		first, _, _ := strings.Cut(ev.Reason, "\n")
		return withReason(fmt.Sprintf("step %s: %s", ev.Stack, ev.Phase), first)
	case deploy.KindStack:
		if ev.Phase == deploy.PhaseWaiting {
			return ""
		}
		first, _, _ := strings.Cut(ev.Reason, "\n") // the command prints the whole error at the end
		return withReason(fmt.Sprintf("%s: %s", ev.StackName, ev.Phase), first)
	case deploy.KindResource:
		if ev.IsStack {
			return withReason(fmt.Sprintf("%s: stack %s", ev.StackName, statusWord(ev.Status)), ev.Reason)
		}
		label := ev.Label
		if label != ev.LogicalID {
			label += " [" + ev.LogicalID + "]"
		}
		return withReason(fmt.Sprintf("%s: %s %s", ev.StackName, label, statusWord(ev.Status)), ev.Reason)
	case deploy.KindFinish:
		ok, failed := p.board.Done()
		total := p.board.StackCount()
		steps := stepsNote(p.board)
		took := duration(p.board.Elapsed(ev.Time))
		if ev.Error == "" && failed == 0 {
			return fmt.Sprintf("%s finished: %d/%d stacks%s in %s", ev.Op, ok, total, steps, took)
		}
		return fmt.Sprintf("%s stopped: %d/%d stacks%s done, %d failed, after %s", ev.Op, ok, total, steps, failed, took)
	}
	return ""
}

func withReason(s, reason string) string {
	if reason == "" {
		return s
	}
	return s + ": " + reason
}

// Close does nothing: every line is already written.
func (p *Plain) Close() error { return nil }

// View runs the bubbletea live view on a terminal.
type View struct {
	p     *tea.Program
	done  chan error
	final Model
}

// NewView starts the live view on out. It reads no input: Ctrl-C stays a
// signal the command handles (cancel, then detach).
func NewView(out io.Writer, color bool, now func() time.Time) *View {
	opts := []tea.ProgramOption{tea.WithOutput(out), tea.WithInput(nil), tea.WithoutSignalHandler()}
	if !color {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	if !IsTerminal(out) {
		// Nothing to ask for a size (tests, recordings): draw 100×50.
		opts = append(opts, tea.WithWindowSize(100, 50))
	}
	v := &View{p: tea.NewProgram(NewModel(now, color), opts...), done: make(chan error, 1)}
	go func() {
		m, err := v.p.Run()
		if fm, ok := m.(Model); ok {
			v.final = fm
		}
		v.done <- err
	}()
	return v
}

// Handle sends the event to the view.
func (v *View) Handle(ev deploy.Event) { v.p.Send(EventMsg(ev)) }

// Close draws the final frame, leaves it on screen and returns.
func (v *View) Close() error {
	v.p.Send(closeMsg{})
	return <-v.done
}

// Final is the model as the program ended (after Close).
func (v *View) Final() Model { return v.final }
