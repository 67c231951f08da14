package wizard

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mlflowctl/mlflowctl/internal/golden"
	"github.com/mlflowctl/mlflowctl/pkg/awslookup"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// fakeLookup stands in for awslookup.Source: fixed lists, or errors.
type fakeLookup struct {
	profiles    []awslookup.Profile
	regions     []string
	domains     []awslookup.Domain
	err         error
	mu          sync.Mutex
	regionCalls []string
	domainCalls []string
}

func (f *fakeLookup) Profiles() ([]awslookup.Profile, error) {
	if f.err != nil {
		return nil, awslookup.ErrNoProfiles
	}
	return f.profiles, nil
}

func (f *fakeLookup) Regions(_ context.Context, profile, region string) ([]string, error) {
	f.mu.Lock()
	f.regionCalls = append(f.regionCalls, profile+"@"+region)
	f.mu.Unlock()
	return f.regions, f.err
}

func (f *fakeLookup) Domains(_ context.Context, profile, region string) ([]awslookup.Domain, error) {
	f.mu.Lock()
	f.domainCalls = append(f.domainCalls, profile+"@"+region)
	f.mu.Unlock()
	return f.domains, f.err
}

func listingLookup() *fakeLookup {
	return &fakeLookup{
		profiles: []awslookup.Profile{{Name: "default", Region: "eu-west-1"}, {Name: "prod", Region: "us-east-2"}},
		regions:  []string{"eu-central-1", "eu-west-1", "us-east-1", "us-east-2"},
		domains:  []awslookup.Domain{{ID: "d-abcdef123456", Name: "research", Status: "InService"}},
	}
}

func failingLookup() *fakeLookup {
	return &fakeLookup{err: errors.New("no AWS credentials found: no EC2 IMDS role found")}
}

// testOptions runs in a scratch directory, so the path on screen is the
// same in every run.
func testOptions(t *testing.T, lk Lookup) Options {
	t.Helper()
	t.Chdir(t.TempDir())
	return Options{
		Base:   config.Defaults(),
		Path:   "mlflowctl.yaml",
		Lookup: lk,
		Width:  100, Height: 40,
		NoColor: true,
	}
}

// probe wraps the wizard's model and publishes which screen shows, so a
// test sends its next key only once that screen has its form.
type probe struct {
	*model
	mu    *sync.Mutex
	state *probeState
}

type probeState struct {
	step  step
	ready bool
	done  bool
	ans   Answers
}

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := p.model.Update(msg)
	p.mu.Lock()
	m := p.model
	ans := m.s.ans
	ans.Models = slices.Clone(ans.Models)
	*p.state = probeState{step: m.step, ready: m.form != nil && !m.loading, done: m.done || m.aborted, ans: ans}
	p.mu.Unlock()
	return p, cmd
}

func (p probe) current() probeState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return *p.state
}

// session is a teatest program running the wizard.
type session struct {
	t  *testing.T
	tm *teatest.TestModel
	p  probe
}

func start(t *testing.T, o Options) *session {
	t.Helper()
	p := probe{model: newModel(context.Background(), o), mu: &sync.Mutex{}, state: &probeState{}}
	tm := teatest.NewTestModel(t, p, teatest.WithInitialTermSize(o.Width, o.Height))
	return &session{t: t, tm: tm, p: p}
}

// waitFor blocks until screen st shows its form; the deadline only turns
// a hang into a failure.
func (s *session) waitFor(st step) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c := s.p.current(); c.step == st && c.ready {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	c := s.p.current()
	s.t.Fatalf("screen %s never showed (at %s, ready=%v)", stepTitles[st], stepTitles[c.step], c.ready)
}

func (s *session) keys(msgs ...tea.Msg) {
	for _, m := range msgs {
		s.tm.Send(m)
	}
}

func (s *session) typeText(text string) { s.tm.Type(text) }

// finish waits for the program to end and returns its model.
func (s *session) finish() *model {
	s.t.Helper()
	return s.tm.FinalModel(s.t, teatest.WithFinalTimeout(10*time.Second)).(probe).model
}

// screen stops the program at screen st and returns that screen as text.
func (s *session) screen(st step) string {
	s.t.Helper()
	s.waitFor(st)
	if err := s.tm.Quit(); err != nil {
		s.t.Fatal(err)
	}
	m := s.finish()
	return ansi.Strip(m.render())
}

var (
	enter = tea.KeyPressMsg{Code: tea.KeyEnter}
	esc   = tea.KeyPressMsg{Code: tea.KeyEscape}
	down  = tea.KeyPressMsg{Code: tea.KeyDown}
	up    = tea.KeyPressMsg{Code: tea.KeyUp}
	left  = tea.KeyPressMsg{Code: tea.KeyLeft}
	space = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	ctrlC = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	bksp  = tea.KeyPressMsg{Code: tea.KeyBackspace}
)

func backspaces(n int) []tea.Msg {
	out := make([]tea.Msg, n)
	for i := range out {
		out[i] = bksp
	}
	return out
}

// packageDir is where testdata lives; tests chdir to scratch directories.
var packageDir, _ = os.Getwd()

// requireGolden compares a screen with testdata/<TestName>.golden
// (-update rewrites it).
func requireGolden(t *testing.T, screen string) {
	t.Helper()
	golden.Assert(t, filepath.Join(packageDir, golden.Path(t)), []byte(screen))
}

// requireFile compares a written file with testdata/<name>; -update
// rewrites the expected file.
func requireFile(t *testing.T, got []byte, name string) {
	t.Helper()
	golden.Assert(t, filepath.Join(packageDir, "testdata", name), got)
}

func noMLflowctlEnv(t *testing.T) {
	for _, k := range os.Environ() {
		if name, _, _ := strings.Cut(k, "="); strings.HasPrefix(name, config.EnvPrefix) {
			t.Setenv(name, "")
			_ = os.Unsetenv(name)
		}
	}
}

func right() tea.Msg { return tea.KeyPressMsg{Code: tea.KeyRight} }

func ansiStrip(s string) string { return ansi.Strip(s) }
