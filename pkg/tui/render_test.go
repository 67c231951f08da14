package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mlflowctl/mlflowctl/internal/golden"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

func fixed(s int) func() time.Time { return func() time.Time { return at(s) } }

// runView plays events through the real bubbletea program and returns
// the final model and everything it wrote to the terminal.
func runView(t *testing.T, events []deploy.Event, now int) (Model, []byte) {
	t.Helper()
	tm := teatest.NewTestModel(t, NewModel(fixed(now), false), teatest.WithInitialTermSize(100, 40))
	for _, ev := range events {
		tm.Send(EventMsg(ev))
	}
	tm.Send(closeMsg{})
	m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	out, err := io.ReadAll(tm.FinalOutput(t))
	if err != nil {
		t.Fatal(err)
	}
	return m, out
}

func TestViewWithFailedResource(t *testing.T) {
	m, out := runView(t, threeStacks(56), 56)
	view := m.View().Content
	golden.Assert(t, golden.Path(t), []byte(view))
	for _, want := range []string{"Aurora database", "DBClusterQuotaExceeded", "Deploy stopped: 2/3 stacks done, 1 failed"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q", want)
		}
	}
	// The terminal gets cell diffs, not whole lines: check that it was
	// drawn to; the text is checked on the model above.
	if len(out) == 0 {
		t.Error("nothing was drawn on the terminal")
	}
	if strings.Contains(view, "Resource creation cancelled") {
		t.Error("a cancellation was shown as a failure reason")
	}
}

func TestViewWhileRunning(t *testing.T) {
	m, _ := runView(t, threeStacks(21), 30)
	golden.Assert(t, golden.Path(t), []byte(m.View().Content))
}

func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	p := NewPlain(&buf)
	for _, ev := range threeStacks(56) {
		p.Handle(ev)
	}
	golden.Assert(t, golden.Path(t), buf.Bytes())
}

func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	j := NewJSON(&buf)
	events := threeStacks(56)
	for _, ev := range events {
		j.Handle(ev)
	}
	golden.Assert(t, golden.Path(t), buf.Bytes())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(events) {
		t.Fatalf("%d lines for %d events", len(lines), len(events))
	}
	failed := 0
	for _, l := range lines {
		var back deploy.Event
		if err := json.Unmarshal([]byte(l), &back); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if back.Status == "CREATE_FAILED" && back.LogicalID == "Db" && back.Reason != "" && back.Time.Equal(at(40)) {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("the failed resource's event appears %d times, want once", failed)
	}
}

func TestNewPicksRenderer(t *testing.T) {
	var out, errw bytes.Buffer
	if _, ok := New(Options{Stdout: &out, Stderr: &errw, JSON: true}).(*JSON); !ok {
		t.Error("-o json must give JSON lines")
	}
	if _, ok := New(Options{Stdout: &out, Stderr: &errw}).(*Plain); !ok {
		t.Error("a pipe must give plain lines")
	}
}

func TestWatchSubscribesAndStops(t *testing.T) {
	var errw bytes.Buffer
	src := &fakeSource{}
	stop := Watch(src, Options{Stdout: io.Discard, Stderr: &errw})
	for _, ev := range threeStacks(10) {
		src.fn(ev)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !src.unsubscribed || !strings.Contains(errw.String(), "ml-bootstrap: complete") {
		t.Errorf("unsubscribed=%v output:\n%s", src.unsubscribed, errw.String())
	}
}

type fakeSource struct {
	fn           func(deploy.Event)
	unsubscribed bool
}

func (f *fakeSource) Subscribe(fn func(deploy.Event)) func() {
	f.fn = fn
	return func() { f.unsubscribed = true }
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Second: "5s", 65 * time.Second: "1m05s", 3720 * time.Second: "1h02m", 1400 * time.Millisecond: "1s"} {
		if got := duration(d); got != want {
			t.Errorf("duration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestViewRendererDrawsFinalFrame(t *testing.T) {
	var buf syncBuffer
	v := NewView(&buf, false, fixed(56))
	for _, ev := range threeStacks(56) {
		v.Handle(ev)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	// The terminal gets cell diffs, so check the text on the final model
	// and only that the output drew the rows.
	view := v.Final().View().Content
	for _, want := range []string{"Aurora database", "DBClusterQuotaExceeded", "Deploy stopped: 2/3 stacks done, 1 failed"} {
		if !strings.Contains(view, want) {
			t.Errorf("final frame lacks %q:\n%s", want, view)
		}
	}
	if buf.String() == "" {
		t.Error("nothing was drawn on the terminal")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBigStackFoldsFinishedRows(t *testing.T) {
	b := NewBoard()
	b.Apply(deploy.Event{Time: at(0), Kind: deploy.KindStart, Op: deploy.OpDeploy, Stacks: []string{"server"}})
	b.Apply(deploy.Event{Time: at(0), Kind: deploy.KindStack, Stack: "server", StackName: "ml-server", Phase: deploy.PhaseCreating})
	for i := range 14 {
		id := fmt.Sprintf("R%02d", i)
		b.Apply(deploy.Event{Time: at(1), Kind: deploy.KindResource, Stack: "server", LogicalID: id, Label: id, Status: "CREATE_IN_PROGRESS"})
		if i < 12 {
			b.Apply(deploy.Event{Time: at(2), Kind: deploy.KindResource, Stack: "server", LogicalID: id, Label: id, Status: "CREATE_COMPLETE"})
		}
	}
	view := Render(b, at(5), 100, false)
	if !strings.Contains(view, "12 more resources done") || strings.Contains(view, "R03") || !strings.Contains(view, "R13") {
		t.Errorf("view:\n%s", view)
	}
}

// A step has its own row: waiting, then running with its latest progress
// line (an image build's log) under it, then done; the overall line counts
// steps apart from stacks.
func TestStepHasItsOwnRow(t *testing.T) {
	start := deploy.Event{Time: at(0), Kind: deploy.KindStart, Op: deploy.OpDeploy, Stacks: []string{"bootstrap"}, Steps: []string{"images"}}
	events := []deploy.Event{start,
		{Time: at(1), Kind: deploy.KindStep, Op: deploy.OpDeploy, Stack: "images", Phase: deploy.PhaseRunning},
		{Time: at(2), Kind: deploy.KindStep, Stack: "images", Phase: deploy.PhaseRunning, Reason: "server image: Step 4/12 : RUN pip install mlflow"},
	}
	m, _ := runView(t, events, 3)
	view := m.View().Content
	if !strings.Contains(view, "images") || !strings.Contains(view, "Step 4/12 : RUN pip install mlflow") || !strings.Contains(view, "0/1 stacks and 0/1 steps done") {
		t.Fatalf("view lacks the step's row, its line or the count:\n%s", view)
	}
	events = append(events, deploy.Event{Time: at(4), Kind: deploy.KindStep, Op: deploy.OpDeploy, Stack: "images", Phase: deploy.PhaseComplete})
	m, _ = runView(t, events, 5)
	if view := m.View().Content; strings.Contains(view, "pip install") || !strings.Contains(view, "0/1 stacks and 1/1 steps done") {
		t.Fatalf("a finished step still shows its line, or is not counted:\n%s", view)
	}
}

func TestPlainStepLinesNameTheStep(t *testing.T) {
	var buf bytes.Buffer
	p := NewPlain(&buf)
	p.Handle(deploy.Event{Time: at(0), Kind: deploy.KindStart, Op: deploy.OpDeploy, Stacks: []string{"bootstrap"}, Steps: []string{"authorizer"}})
	p.Handle(deploy.Event{Time: at(3), Kind: deploy.KindStep, Stack: "authorizer", Phase: deploy.PhaseRunning, Reason: "uploading the authorizer"})
	p.Handle(deploy.Event{Time: at(4), Kind: deploy.KindFinish, Op: deploy.OpDeploy})
	for _, want := range []string{"deploy 1 stack, 1 step", "step authorizer: running: uploading the authorizer", "0/1 stacks and 0/1 steps"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("plain output lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestPlainCountsInWords (issue 22 item 13): "deploy 1 stacks" reads as
// a person would write it (the plan's wording: TestStackPlanStringWording).
func TestPlainCountsInWords(t *testing.T) {
	var buf bytes.Buffer
	p := NewPlain(&buf)
	p.Handle(deploy.Event{Time: at(0), Kind: deploy.KindStart, Op: deploy.OpDeploy, Stacks: []string{"api"}})
	if !strings.Contains(buf.String(), "deploy 1 stack\n") {
		t.Errorf("start line: %q", buf.String())
	}
}
