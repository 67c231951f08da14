package deploy

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Options tune the engine. The zero value works: change sets, four stacks
// at a time, polling from 1 s to 5 s.
type Options struct {
	// Version goes into each stack's mlflowctl:version tag.
	Version string
	// Concurrency bounds how many stacks change at once (default 4).
	Concurrency int
	// Force skips the fast no-op check and always makes a change set.
	Force bool
	// NoWait refuses a stack busy with another operation instead of
	// waiting for it to settle.
	NoWait bool
	// DirectCalls creates and updates stacks with CreateStack and
	// UpdateStack instead of change sets. It exists for emulators whose
	// change sets lose stack outputs and tags (moto 5.2); against AWS
	// leave it off. Plan always uses change sets.
	DirectCalls bool
	// Yes answers Confirm's question with yes without asking.
	Yes bool
	// Confirm asks the user a yes/no question (deleting a half-created
	// stack after an interrupt). Nil means "no" unless Yes is set.
	Confirm func(ctx context.Context, question string) (bool, error)
	// Detach is closed on a second interrupt: the engine stops waiting
	// and returns InterruptedError naming what still runs in AWS.
	Detach <-chan struct{}
	// Uploader and AssetsBucket / AssetsFrom place templates over
	// InlineTemplateLimit: the bucket is AssetsBucket, or else the
	// output AssetsFrom.Output of stack AssetsFrom.Stack once deployed.
	Uploader     Uploader
	AssetsBucket string
	AssetsFrom   OutputRef
	// PollMin and PollMax bound the polling interval (1 s, 5 s);
	// PollThrottleMax bounds the back-off on throttling (32 s).
	PollMin, PollMax, PollThrottleMax time.Duration
	// MaxWait bounds one wait for a stack operation (default 3 h: an
	// Aurora cluster or a Studio domain takes tens of minutes).
	// ThrottleLimit bounds how long one call may be throttled without a
	// break before the engine stops waiting (default 10 min).
	MaxWait, ThrottleLimit time.Duration
}

// OutputRef names one output of one stack of the deployment.
type OutputRef struct{ Stack, Output string }

// Engine deploys, plans, inspects and deletes deployments.
type Engine struct {
	cfn   CloudFormationAPI
	opts  Options
	bus   bus
	askMu sync.Mutex // one question at a time
}

// New returns an engine calling cfn.
func New(cfn CloudFormationAPI, opts Options) *Engine {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.PollMin <= 0 {
		opts.PollMin = time.Second
	}
	if opts.PollMax < opts.PollMin {
		opts.PollMax = max(5*time.Second, opts.PollMin)
	}
	if opts.PollThrottleMax < opts.PollMax {
		opts.PollThrottleMax = max(32*time.Second, opts.PollMax)
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 3 * time.Hour
	}
	if opts.ThrottleLimit <= 0 {
		opts.ThrottleLimit = 10 * time.Minute
	}
	return &Engine{cfn: cfn, opts: opts}
}

// Subscribe registers fn for every progress event, delivered in order
// from one goroutine at a time; fn must return quickly. The returned
// function unsubscribes.
func (e *Engine) Subscribe(fn func(Event)) (unsubscribe func()) {
	return e.bus.subscribe(fn)
}

func (e *Engine) publish(ev Event) { e.bus.publish(ev) }

func (e *Engine) phase(op Op, s *Stack, name string, p Phase, reason string) {
	if s.step != nil {
		e.publish(Event{Kind: KindStep, Op: op, Stack: s.ID, Phase: p, Reason: reason})
		return
	}
	e.publish(Event{Kind: KindStack, Op: op, Stack: s.ID, StackName: name, Phase: p, Reason: reason})
}

// detached reports whether the user asked to stop waiting.
func (e *Engine) detached() bool {
	if e.opts.Detach == nil {
		return false
	}
	select {
	case <-e.opts.Detach:
		return true
	default:
		return false
	}
}

// cleanupContext outlives the user's cancellation (so the engine can roll
// back or delete what it started) but ends on a detach.
func (e *Engine) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if e.opts.Detach != nil {
		go func() {
			select {
			case <-e.opts.Detach:
				cancel()
			case <-c.Done():
			}
		}()
	}
	return c, cancel
}

func (e *Engine) confirm(ctx context.Context, q string) (bool, error) {
	if e.opts.Yes {
		return true, nil
	}
	if e.opts.Confirm == nil {
		return false, nil
	}
	e.askMu.Lock()
	defer e.askMu.Unlock()
	return e.opts.Confirm(ctx, q)
}

// Note publishes a progress line of a running step (an image build's log,
// the UI upload), so a long step is never an opaque wait. Renderers show it
// on the step's row.
func (e *Engine) Note(stepID, line string) {
	if r := []rune(strings.TrimSpace(line)); len(r) > noteWidth {
		line = string(r[:noteWidth-1]) + "…"
	}
	e.publish(Event{Kind: KindStep, Stack: stepID, Phase: PhaseRunning, Reason: strings.TrimSpace(line)})
}

// noteWidth keeps a step's progress line to one row of the live view.
const noteWidth = 72
