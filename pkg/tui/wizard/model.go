package wizard

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
)

// model is the bubbletea program: one screen (a huh form) at a time, a
// history for Esc, and the result once the file is written or declined.
type model struct {
	ctx     context.Context
	s       *state
	step    step
	history []step
	form    *huh.Form
	loading bool

	res     Result
	err     error
	aborted bool
	done    bool
}

type lookupMsg lookupResult

type writtenMsg struct{ err error }

func newModel(ctx context.Context, o Options) *model {
	return &model{ctx: ctx, s: newState(o)}
}

func (m *model) Init() tea.Cmd { return m.enter(stepProfile) }

// enter shows step st: its form, or a look-up first when it needs one.
func (m *model) enter(st step) tea.Cmd {
	m.step = st
	m.form = nil
	if m.s.needsLookup(st) {
		m.loading = true
		read, ctx := m.s.lookup(st), m.ctx
		return func() tea.Msg { return lookupMsg(read(ctx)) }
	}
	m.loading = false
	if st == stepDone {
		m.done = true
		return tea.Quit
	}
	m.form = m.s.form(st)
	return m.form.Init()
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "ctrl+c":
			m.aborted = true
			return m, tea.Quit
		case "esc":
			if !m.filtering() {
				return m, m.back()
			}
		}
	case tea.WindowSizeMsg:
		m.s.width, m.s.height = msg.Width, msg.Height
		if m.form != nil {
			m.form = m.form.WithWidth(m.s.textWidth())
		}
	case lookupMsg:
		if lookupResult(msg).step != m.step {
			return m, nil
		}
		m.s.apply(lookupResult(msg))
		return m, m.enter(m.step)
	case writtenMsg:
		if msg.err != nil {
			m.err = msg.err
			return m, tea.Quit
		}
		m.res.Written = true
		return m, m.enter(stepDone)
	}
	if m.form == nil {
		return m, nil
	}
	f, cmd := m.form.Update(msg)
	m.form = f.(*huh.Form)
	if m.form.State == huh.StateCompleted {
		return m, tea.Batch(cmd, m.advance())
	}
	return m, cmd
}

// filtering is true while a select's filter takes the Esc key.
func (m *model) filtering() bool {
	if m.form == nil {
		return false
	}
	f, ok := m.form.GetFocusedField().(interface{ GetFiltering() bool })
	return ok && f.GetFiltering()
}

func (m *model) back() tea.Cmd {
	if len(m.history) == 0 {
		return nil
	}
	prev := m.history[len(m.history)-1]
	m.history = m.history[:len(m.history)-1]
	return m.enter(prev)
}

// advance moves on from a completed screen.
func (m *model) advance() tea.Cmd {
	m.s.afterAnswer(m.step)
	switch m.step {
	case stepSummary:
		if !m.s.write {
			m.s.write = true
			return m.back()
		}
		if fileExists(m.s.o.Path) {
			return m.forward(stepOverwrite)
		}
		return m.writeFile(false)
	case stepOverwrite:
		if !m.s.overwrite {
			m.res.KeptExisting = true
			return m.enter(stepDone)
		}
		return m.writeFile(true)
	}
	return m.forward(nextStep(m.step, m.s.ans))
}

func (m *model) forward(st step) tea.Cmd {
	m.history = append(m.history, m.step)
	return m.enter(st)
}

func (m *model) writeFile(replace bool) tea.Cmd {
	m.res.Config = m.s.ans.Config(m.s.o.Base)
	m.res.Answers = m.s.ans
	m.form = nil
	cfg, path := m.res.Config, m.s.o.Path
	return func() tea.Msg { return writtenMsg{err: WriteFile(path, cfg, replace)} }
}

func (m *model) View() tea.View {
	return tea.NewView(m.render())
}

func (m *model) render() string {
	st := m.s.st
	if m.aborted {
		return "" // the command reports ErrAborted once
	}
	if m.done {
		return m.s.doneText(m.res)
	}
	var b strings.Builder
	b.WriteString(st.title.Render("mlflowctl init") + "  " + st.step.Render(m.position()) + "\n\n")
	if m.step == stepSummary || m.step == stepOverwrite {
		b.WriteString(st.box.Width(m.s.textWidth()).Render(m.fitSummary()) + "\n\n")
	}
	if note := m.s.lookupNote(m.step); note != "" && !m.loading {
		b.WriteString(note + "\n\n")
	}
	switch {
	case m.loading:
		b.WriteString(st.note.Render(m.loadingText()) + "\n")
	case m.form != nil:
		b.WriteString(m.form.View() + "\n")
		if live := m.s.liveLine(m.step); live != "" {
			b.WriteString("  " + live + "\n")
		}
	default:
		b.WriteString(st.note.Render("Writing "+m.s.o.Path+"…") + "\n")
	}
	b.WriteString("\n" + st.dim.Render(m.keysHelp()))
	return b.String() + "\n"
}

// summaryChrome is the summary screen's lines outside the summary text:
// title, blank lines, the box's borders, the question and the keys line.
const summaryChrome = 12

// fitSummary keeps the summary inside the terminal so its top (region,
// name, cost) never scrolls away: the full text when it fits, else the
// answers with the cost total and one line of stacks, else those cut.
func (m *model) fitSummary() string {
	full := m.s.summary()
	room := m.s.height - summaryChrome
	if m.s.height <= 0 || lines(full) <= room {
		return full
	}
	short := m.s.shortSummary()
	if lines(short) <= room {
		return short
	}
	kept := strings.Split(strings.TrimRight(short, "\n"), "\n")
	return strings.Join(kept[:max(1, room-1)], "\n") + "\n" + m.s.st.dim.Render("… (a taller terminal shows all)") + "\n"
}

func lines(s string) int { return strings.Count(strings.TrimRight(s, "\n"), "\n") + 1 }

func (m *model) position() string {
	if int(m.step) < questions {
		return fmt.Sprintf("%d/%d · %s", int(m.step)+1, questions, stepTitles[m.step])
	}
	return stepTitles[m.step]
}

func (m *model) loadingText() string {
	if m.step == stepRegion {
		return "Listing the account's regions…"
	}
	return "Listing SageMaker Studio domains in " + m.s.ans.Region + "…"
}

func (m *model) keysHelp() string {
	if m.loading {
		return "ctrl+c quit without writing"
	}
	help := "enter next · esc back · ctrl+c quit without writing"
	switch {
	case m.step == stepRegion && m.s.regionsErr == nil:
		help = "↑/↓ choose · / filter · " + help
	case m.step == stepModels:
		help = "space toggle · " + help
	}
	return help
}

// runTUI runs the program on the terminal.
func runTUI(ctx context.Context, o Options) (Result, error) {
	m := newModel(ctx, o)
	opts := append(inputOutput(o), tea.WithContext(ctx))
	if o.Width > 0 && o.Height > 0 {
		opts = append(opts, tea.WithWindowSize(o.Width, o.Height))
	}
	final, err := tea.NewProgram(m, opts...).Run()
	if errors.Is(err, tea.ErrInterrupted) || errors.Is(err, context.Canceled) {
		return Result{}, ErrAborted
	}
	if err != nil {
		return Result{}, err
	}
	return final.(*model).result()
}

func (m *model) result() (Result, error) {
	switch {
	case m.aborted:
		return Result{}, ErrAborted
	case m.err != nil:
		return m.res, m.err
	}
	return m.res, nil
}
