package deploy

import (
	"sync"
	"time"
)

// Kind says what an Event is about.
type Kind string

const (
	// KindStart opens a run: Op, Stacks and Steps (IDs in order) are set.
	KindStart Kind = "start"
	// KindStack is a change of a stack's phase in the engine.
	KindStack Kind = "stack"
	// KindStep is a change of a step's phase: Stack is the step's ID,
	// Reason its latest progress line while it runs.
	KindStep Kind = "step"
	// KindResource is a CloudFormation stack event of the current
	// operation, for a resource or for the stack itself.
	KindResource Kind = "resource"
	// KindFinish closes a run: Error is set when it failed.
	KindFinish Kind = "finish"
)

// Phase is where the engine is with one stack.
type Phase string

const (
	PhaseWaiting     Phase = "waiting"      // for its dependencies
	PhasePreparing   Phase = "preparing"    // change set, clean-up before a delete
	PhaseRunning     Phase = "running"      // a step at work
	PhaseCreating    Phase = "creating"     // executing a create
	PhaseUpdating    Phase = "updating"     // executing an update
	PhaseRecovering  Phase = "recovering"   // deleting a failed create, continuing a rollback, waiting for another operation
	PhaseDeleting    Phase = "deleting"     // deleting
	PhaseRollingBack Phase = "rolling-back" // cancelled by an interrupt
	PhaseComplete    Phase = "complete"     // created or updated
	PhaseNoChanges   Phase = "no-changes"   // nothing to do
	PhaseDeleted     Phase = "deleted"      // gone
	PhaseFailed      Phase = "failed"       // Reason says why
	PhaseSkipped     Phase = "skipped"      // not started (a dependency failed, or interrupted)
	PhaseDetached    Phase = "detached"     // still running in AWS, no longer watched
	PhaseInterrupted Phase = "interrupted"  // stopped by the user, cleaned up
)

// Done reports whether the phase is final for this run.
func (p Phase) Done() bool {
	switch p {
	case PhaseComplete, PhaseNoChanges, PhaseDeleted, PhaseFailed, PhaseSkipped, PhaseDetached, PhaseInterrupted:
		return true
	}
	return false
}

// Op names the run an event belongs to.
type Op string

const (
	OpDeploy Op = "deploy"
	OpDelete Op = "delete"
)

// Event is one progress event. Renderers subscribe to them.
type Event struct {
	Time      time.Time `json:"time"`
	Kind      Kind      `json:"kind"`
	Op        Op        `json:"op,omitempty"`
	Stack     string    `json:"stack,omitempty"`     // stack (or step) ID
	StackName string    `json:"stackName,omitempty"` // CloudFormation name
	Phase     Phase     `json:"phase,omitempty"`
	// Resource events: the CloudFormation event's fields, plus the
	// resource's label from the template (Metadata.mlflowctl.description,
	// else the logical ID).
	LogicalID    string `json:"logicalId,omitempty"`
	ResourceType string `json:"resourceType,omitempty"`
	Label        string `json:"label,omitempty"`
	Status       string `json:"status,omitempty"`
	Reason       string `json:"reason,omitempty"`
	// IsStack marks a resource event about the stack itself.
	IsStack bool `json:"isStack,omitempty"`
	// Start events: the stacks and the steps of the run, each in
	// dependency order.
	Stacks []string `json:"stacks,omitempty"`
	Steps  []string `json:"steps,omitempty"`
	// Finish events: the run's error, if any.
	Error string `json:"error,omitempty"`
}

// bus fans events out to subscribers, in order, one event at a time.
type bus struct {
	mu   sync.Mutex
	subs map[int]func(Event)
	next int
}

func (b *bus) subscribe(fn func(Event)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[int]func(Event){}
	}
	id := b.next
	b.next++
	b.subs[id] = fn
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}
}

func (b *bus) publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := 0; i < b.next; i++ {
		if fn, ok := b.subs[i]; ok {
			fn(e)
		}
	}
}
