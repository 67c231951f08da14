package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/plural"
)

const (
	labelWidth  = 34
	statusWidth = 20
	minWidth    = 60
	// maxRows is the most resource rows a stack's block shows; beyond it,
	// finished rows fold into one line.
	maxRows = 10
)

type styles struct {
	ok, fail, busy, dim, reason, bold lipgloss.Style
}

func newStyles(color bool) styles {
	if !color {
		p := lipgloss.NewStyle()
		return styles{p, p, p, p, p, p}
	}
	return styles{
		ok:     lipgloss.NewStyle().Foreground(lipgloss.Color("2")),
		fail:   lipgloss.NewStyle().Foreground(lipgloss.Color("1")),
		busy:   lipgloss.NewStyle().Foreground(lipgloss.Color("3")),
		dim:    lipgloss.NewStyle().Faint(true),
		reason: lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Faint(true),
		bold:   lipgloss.NewStyle().Bold(true),
	}
}

// Render draws the board as the terminal view shows it: a block per
// stack, a row per resource with the failure reason under a failed row,
// and an overall line. Stacks that finished well fold into one line.
func Render(b *Board, now time.Time, width int, color bool) string {
	st := newStyles(color)
	width = max(width, minWidth)
	var out strings.Builder
	for _, bl := range b.Stacks {
		renderBlock(&out, st, b, bl, now, width)
	}
	out.WriteString("\n" + overall(st, b, now) + "\n")
	lines := strings.Split(out.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func renderBlock(out *strings.Builder, st styles, b *Board, bl *Block, now time.Time, width int) {
	name := bl.Name
	if name == "" {
		name = bl.ID
	}
	sym, style := blockSymbol(st, bl.Phase)
	head := phaseWord(bl, b.Op)
	folded := bl.Phase == deploy.PhaseComplete || bl.Phase == deploy.PhaseDeleted || bl.Phase == deploy.PhaseNoChanges
	if folded && len(bl.Rows) > 0 {
		head += " · " + plural.Count(len(bl.Rows), "resource")
	}
	if bl.Phase == deploy.PhaseFailed && bl.Status != "" {
		head += " · " + statusWord(bl.Status)
	}
	took := clock(bl.Started, bl.Ended, now)
	if took == "" {
		fmt.Fprintf(out, "%s %s %s\n", style.Render(sym), st.bold.Render(pad(name, labelWidth+2)), st.dim.Render(head))
	} else {
		fmt.Fprintf(out, "%s %s %s %s\n", style.Render(sym), st.bold.Render(pad(name, labelWidth+2)), style.Render(pad(head, statusWidth)), st.dim.Render(took))
	}
	if folded || bl.Phase == deploy.PhaseWaiting || bl.Phase == deploy.PhaseSkipped {
		return
	}
	if bl.Phase == deploy.PhaseRunning && bl.Reason != "" {
		fmt.Fprintf(out, "  %s %s\n", st.busy.Render("›"), st.dim.Render(truncate(bl.Reason, width-4)))
	}
	rows := bl.Rows
	if len(rows) > maxRows {
		// Keep what moves or failed; count what finished well.
		var keep []*Row
		for _, r := range rows {
			if r.Failed || strings.HasSuffix(r.Status, "_IN_PROGRESS") {
				keep = append(keep, r)
			}
		}
		if n := len(rows) - len(keep); n > 0 {
			fmt.Fprintf(out, "  %s %s\n", st.ok.Render("✔"), st.dim.Render(plural.Count(n, "more resource")+" done"))
		}
		rows = keep
	}
	for _, r := range rows {
		rsym, rstyle := rowSymbol(st, r)
		fmt.Fprintf(out, "  %s %s %s %s\n", rstyle.Render(rsym), pad(r.Label, labelWidth), rstyle.Render(pad(rowStatus(r), statusWidth)), st.dim.Render(clock(r.Started, r.Ended, now)))
		if r.Cause != "" {
			for _, l := range wrap(r.Cause, width-6) {
				out.WriteString("      " + st.reason.Render(l) + "\n")
			}
		}
	}
}

func blockSymbol(st styles, p deploy.Phase) (string, lipgloss.Style) {
	switch p {
	case deploy.PhaseComplete, deploy.PhaseNoChanges, deploy.PhaseDeleted:
		return "✔", st.ok
	case deploy.PhaseFailed, deploy.PhaseInterrupted:
		return "✘", st.fail
	case deploy.PhaseWaiting, deploy.PhaseSkipped:
		return "○", st.dim
	case deploy.PhaseDetached:
		return "!", st.busy
	}
	return "•", st.busy
}

func rowSymbol(st styles, r *Row) (string, lipgloss.Style) {
	switch {
	case r.Failed:
		return "✘", st.fail
	case strings.HasSuffix(r.Status, "_IN_PROGRESS"):
		return "•", st.busy
	}
	return "✔", st.ok
}

// rowStatus is the resource's status, or for a failed one what failed
// ("create failed", or "cancelled" when another resource caused it).
func rowStatus(r *Row) string {
	switch {
	case r.Failed && r.Cause == "":
		return "cancelled"
	case r.Failed:
		return statusWord(r.FailStatus)
	}
	return statusWord(r.Status)
}

func overall(st styles, b *Board, now time.Time) string {
	ok, failed := b.Done()
	total := b.StackCount()
	verb := map[deploy.Op][3]string{deploy.OpDeploy: {"Deploying", "Deployed", "Deploy"}, deploy.OpDelete: {"Deleting", "Deleted", "Delete"}}[b.Op]
	if verb[0] == "" {
		verb = [3]string{"Working", "Done", "Run"}
	}
	took := duration(b.Elapsed(now))
	steps := stepsNote(b)
	switch {
	case b.Finished.IsZero():
		return st.bold.Render(fmt.Sprintf("%s: %d/%d stacks%s done", verb[0], ok, total, steps)) + st.dim.Render(" · "+took)
	case b.Err == "" && failed == 0:
		return st.ok.Render(fmt.Sprintf("%s %d/%d stacks%s in %s", verb[1], ok, total, steps, took))
	}
	return st.fail.Render(fmt.Sprintf("%s stopped: %d/%d stacks%s done, %d failed · %s", verb[2], ok, total, steps, failed, took))
}

// stepsNote counts the steps next to the stacks (" and 4/6 steps"), when
// the run has any.
func stepsNote(b *Board) string {
	ok, _, total := b.StepsDone()
	if total == 0 {
		return ""
	}
	return fmt.Sprintf(" and %d/%d steps", ok, total)
}

func clock(start, end, now time.Time) string {
	if start.IsZero() {
		return ""
	}
	return duration(elapsed(start, end, now))
}

func pad(s string, n int) string {
	w := lipgloss.Width(s)
	if w > n {
		r := []rune(s)
		for lipgloss.Width(string(r)) > n-1 && len(r) > 0 {
			r = r[:len(r)-1]
		}
		return string(r) + "…"
	}
	return s + strings.Repeat(" ", n-w)
}

func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && lipgloss.Width(line)+1+lipgloss.Width(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// EventMsg carries one deploy event into the model.
type EventMsg deploy.Event

type tickMsg time.Time

type closeMsg struct{}

// Model is the bubbletea model of the live view.
type Model struct {
	Board *Board
	now   func() time.Time
	color bool
	width int
}

// NewModel returns the live view's model; now is the clock it shows
// elapsed times against.
func NewModel(now func() time.Time, color bool) Model {
	return Model{Board: NewBoard(), now: now, color: color, width: 100}
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Init starts the clock that refreshes elapsed times.
func (m Model) Init() tea.Cmd { return tick() }

// Update folds events in; a close message ends the program.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case EventMsg:
		m.Board.Apply(deploy.Event(msg))
	case tea.WindowSizeMsg:
		m.width = msg.Width
	case tickMsg:
		return m, tick()
	case closeMsg:
		return m, tea.Quit
	}
	return m, nil
}

// View draws the board.
func (m Model) View() tea.View {
	return tea.NewView(Render(m.Board, m.now(), m.width, m.color))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if n < 2 || len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
