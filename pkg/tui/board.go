// Package tui renders mlflowctl's progress: a live bubbletea view on a
// terminal, plain timestamped lines without one, JSON lines with -o json.
// All three read the same deploy.Event stream.
package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// Board is the state every renderer draws: one block per stack with a
// row per resource. Apply folds events into it.
type Board struct {
	Op       deploy.Op
	Stacks   []*Block
	Started  time.Time
	Finished time.Time
	Err      string
	byID     map[string]*Block
}

// Block is one stack, or one step (Step set: no resources; Reason is its
// latest progress line while it runs).
type Block struct {
	ID, Name string
	Step     bool
	Phase    deploy.Phase
	Reason   string
	Status   string    // the stack's own CloudFormation status
	Started  time.Time // first phase after waiting
	Ended    time.Time
	Rows     []*Row
	byID     map[string]*Row
}

// Row is one resource of a stack.
type Row struct {
	LogicalID, Type, Label string
	Status                 string
	Started, Ended         time.Time
	// Failed is set once any failure is seen; Cause is the failure's
	// reason unless it only says the resource was cancelled.
	Failed     bool
	FailStatus string
	Cause      string
}

// NewBoard returns an empty board.
func NewBoard() *Board { return &Board{byID: map[string]*Block{}} }

// Apply folds one event into the board.
func (b *Board) Apply(ev deploy.Event) {
	switch ev.Kind {
	case deploy.KindStart:
		b.Op, b.Started = ev.Op, ev.Time
		for _, id := range ev.Stacks {
			b.block(id)
		}
		for _, id := range ev.Steps {
			b.block(id).Step = true
		}
	case deploy.KindStack:
		b.applyPhase(ev)
	case deploy.KindStep:
		b.block(ev.Stack).Step = true
		b.applyPhase(ev)
	case deploy.KindResource:
		if ev.IsStack {
			b.block(ev.Stack).Status = ev.Status
		} else {
			b.block(ev.Stack).apply(ev)
		}
	case deploy.KindFinish:
		b.Finished, b.Err = ev.Time, ev.Error
	}
}

func (b *Board) block(id string) *Block {
	if bl, ok := b.byID[id]; ok {
		return bl
	}
	bl := &Block{ID: id, Phase: deploy.PhaseWaiting, byID: map[string]*Row{}}
	b.byID[id] = bl
	b.Stacks = append(b.Stacks, bl)
	return bl
}

func (b *Board) applyPhase(ev deploy.Event) {
	bl := b.block(ev.Stack)
	if ev.StackName != "" { // hook notes carry only the stack ID
		bl.Name = ev.StackName
	}
	if bl.Phase.Done() && ev.Phase.Done() && bl.Phase != ev.Phase && bl.Phase != deploy.PhaseComplete {
		return // the first final word stands (failed stays failed)
	}
	bl.Phase, bl.Reason = ev.Phase, ev.Reason
	if ev.Phase != deploy.PhaseWaiting && bl.Started.IsZero() {
		bl.Started = ev.Time
	}
	if ev.Phase.Done() {
		bl.Ended = ev.Time
	}
}

func (bl *Block) apply(ev deploy.Event) {
	r, ok := bl.byID[ev.LogicalID]
	if !ok {
		r = &Row{LogicalID: ev.LogicalID, Type: ev.ResourceType, Label: ev.Label, Started: ev.Time}
		bl.byID[ev.LogicalID] = r
		bl.Rows = append(bl.Rows, r)
	}
	r.Status = ev.Status
	if strings.HasSuffix(ev.Status, "_IN_PROGRESS") {
		r.Ended = time.Time{}
	} else {
		r.Ended = ev.Time
	}
	if strings.HasSuffix(ev.Status, "_FAILED") {
		if !r.Failed {
			r.Failed, r.FailStatus = true, ev.Status
		}
		if r.Cause == "" && !isCancellation(ev.Reason) {
			r.Cause, r.FailStatus = ev.Reason, ev.Status
		}
	}
}

func isCancellation(reason string) bool {
	return strings.Contains(strings.ToLower(reason), "cancelled")
}

// Done counts the stacks finished well, and the failed ones.
func (b *Board) Done() (ok, failed int) {
	return b.count(false)
}

// StepsDone counts the steps finished well, the failed ones, and all.
func (b *Board) StepsDone() (ok, failed, total int) {
	ok, failed = b.count(true)
	for _, bl := range b.Stacks {
		if bl.Step {
			total++
		}
	}
	return ok, failed, total
}

// StackCount is the number of stacks (not steps) on the board.
func (b *Board) StackCount() int {
	n := 0
	for _, bl := range b.Stacks {
		if !bl.Step {
			n++
		}
	}
	return n
}

func (b *Board) count(steps bool) (ok, failed int) {
	for _, bl := range b.Stacks {
		if bl.Step != steps {
			continue
		}
		switch bl.Phase {
		case deploy.PhaseComplete, deploy.PhaseNoChanges, deploy.PhaseDeleted:
			ok++
		case deploy.PhaseFailed, deploy.PhaseDetached, deploy.PhaseInterrupted:
			failed++
		}
	}
	return ok, failed
}

// Elapsed is how long the run has taken by now (or took).
func (b *Board) Elapsed(now time.Time) time.Duration {
	if b.Started.IsZero() {
		return 0
	}
	if !b.Finished.IsZero() {
		now = b.Finished
	}
	return now.Sub(b.Started)
}

func elapsed(start, end, now time.Time) time.Duration {
	if start.IsZero() {
		return 0
	}
	if end.IsZero() {
		end = now
	}
	return end.Sub(start)
}

// duration prints 5s, 1m05s, 1h02m.
func duration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, (s%3600)/60)
}

// statusWord turns CREATE_IN_PROGRESS into "creating" and so on.
func statusWord(s string) string {
	words := map[string]string{
		"CREATE_IN_PROGRESS": "creating", "CREATE_COMPLETE": "created", "CREATE_FAILED": "create failed",
		"UPDATE_IN_PROGRESS": "updating", "UPDATE_COMPLETE": "updated", "UPDATE_FAILED": "update failed",
		"DELETE_IN_PROGRESS": "deleting", "DELETE_COMPLETE": "deleted", "DELETE_FAILED": "delete failed",
		"DELETE_SKIPPED": "kept", "UPDATE_ROLLBACK_IN_PROGRESS": "rolling back", "UPDATE_ROLLBACK_COMPLETE": "rolled back",
		"ROLLBACK_IN_PROGRESS": "rolling back", "ROLLBACK_COMPLETE": "rolled back",
	}
	if w, ok := words[s]; ok {
		return w
	}
	return strings.ToLower(strings.ReplaceAll(s, "_", " "))
}

// phaseWord describes a stack's phase for its header line.
func phaseWord(bl *Block, op deploy.Op) string {
	switch bl.Phase {
	case deploy.PhaseWaiting:
		return "waiting"
	case deploy.PhasePreparing:
		if op == deploy.OpDelete {
			return "preparing to delete"
		}
		return "preparing change set"
	case deploy.PhaseComplete:
		return "done"
	case deploy.PhaseNoChanges:
		return "no changes"
	case deploy.PhaseRollingBack:
		return "rolling back"
	case deploy.PhaseDetached:
		return "still running in AWS"
	case deploy.PhaseFailed:
		return "failed"
	case deploy.PhaseRecovering, deploy.PhaseSkipped:
		if bl.Reason != "" {
			return bl.Reason
		}
	}
	return string(bl.Phase)
}
