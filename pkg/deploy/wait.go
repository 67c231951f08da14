package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// settled reports whether a stack status is not an operation in flight.
// REVIEW_IN_PROGRESS (a stack made for a change set) counts as settled.
func settled(status string) bool {
	return !strings.HasSuffix(status, "_IN_PROGRESS") || status == string(types.StackStatusReviewInProgress)
}

// poller paces polling: the interval grows from PollMin to PollMax and
// doubles (up to PollThrottleMax) while CloudFormation throttles.
type poller struct {
	interval, max, throttleMax time.Duration
}

func (e *Engine) newPoller() *poller {
	return &poller{interval: e.opts.PollMin, max: e.opts.PollMax, throttleMax: e.opts.PollThrottleMax}
}

func (p *poller) sleep(ctx context.Context) error {
	t := time.NewTimer(p.interval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	p.interval = min(p.interval*3/2, p.max)
	return nil
}

// retryThrottled calls fn until CloudFormation stops throttling it, for
// at most Options.ThrottleLimit of uninterrupted throttling; what names
// the call for the error and the progress notes.
func (e *Engine) retryThrottled(ctx context.Context, s *Stack, name, what string, fn func() error) error {
	return e.retryThrottledFor(ctx, s, name, what, e.opts.ThrottleLimit, fn)
}

func (e *Engine) retryThrottledFor(ctx context.Context, s *Stack, name, what string, limit time.Duration, fn func() error) error {
	p := e.newPoller()
	var since time.Time
	for {
		err := fn()
		if !isThrottle(err) {
			return err
		}
		if since.IsZero() {
			since = time.Now()
		}
		if time.Since(since) >= limit {
			return &WaitLimitError{Name: name, What: what, Limit: limit, Throttled: true}
		}
		p.throttled()
		e.throttleNote(s, name, PhasePreparing, what, p.interval)
		if err := p.sleep(ctx); err != nil {
			return err
		}
	}
}

// throttleNote tells the user why nothing seems to happen: a progress
// line, shown without --verbose.
func (e *Engine) throttleNote(s *Stack, name string, p Phase, what string, next time.Duration) {
	e.publish(Event{Kind: KindStack, Stack: s.ID, StackName: name, Phase: p,
		Reason: fmt.Sprintf("CloudFormation is throttling %s; trying again in %s", what, next.Round(time.Second))})
}

func (p *poller) throttled() {
	p.interval = min(p.interval*2, p.throttleMax)
}

// watcher follows one stack operation: it publishes the operation's
// events once each, oldest first, and remembers them for the failure
// report.
type watcher struct {
	e        *Engine
	op       Op
	s        *Stack
	name     string
	stackID  string
	labels   map[string]Resource
	boundary string // newest event before the operation started
	phase    Phase  // what the stack is doing while it is waited for
	noEvents bool   // the boundary could not be read: events are not shown
	seen     map[string]bool
	events   []types.StackEvent // this operation's events, oldest first
}

// watch prepares to follow the next operation on stackID (empty for a
// stack that does not exist yet): events up to now are not shown.
func (e *Engine) watch(ctx context.Context, op Op, s *Stack, name, stackID string) (*watcher, error) {
	w := &watcher{e: e, op: op, s: s, name: name, stackID: stackID, seen: map[string]bool{}, labels: map[string]Resource{}, phase: PhaseRecovering}
	if rs, err := Resources(s.Template); err == nil {
		for _, r := range rs {
			w.labels[r.LogicalID] = r
		}
	}
	if stackID == "" {
		return w, nil
	}
	var out *cloudformation.DescribeStackEventsOutput
	err := e.retryThrottledFor(ctx, s, name, "DescribeStackEvents", min(e.opts.ThrottleLimit, eventsThrottleLimit), func() (err error) {
		out, err = e.cfn.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stackID)})
		return err
	})
	var limit *WaitLimitError
	if errors.As(err, &limit) {
		// Events are only shown; the status check decides. Without a
		// boundary old events would pass for new ones, so show none.
		w.noEvents = true
		e.publish(Event{Kind: KindStack, Stack: s.ID, StackName: name, Phase: PhasePreparing,
			Reason: "CloudFormation keeps throttling DescribeStackEvents: resource events are not shown for this stack"})
		return w, nil
	}
	if err != nil && !IsStackNotFound(err) {
		return nil, err
	}
	if out != nil && len(out.StackEvents) > 0 {
		w.boundary = aws.ToString(out.StackEvents[0].EventId)
	}
	return w, nil
}

func (w *watcher) ref() string {
	if w.stackID != "" {
		return w.stackID
	}
	return w.name
}

// wait polls until the stack settles and returns it, or nil when it is
// gone. It returns ctx's error when ctx ends first, and WaitLimitError when
// the operation outlasts Options.MaxWait or CloudFormation throttles the
// status check for Options.ThrottleLimit. The events are only shown: a
// throttled events call never delays the status check.
func (w *watcher) wait(ctx context.Context) (*types.Stack, error) {
	p := w.e.newPoller()
	start := time.Now()
	var throttledSince time.Time
	for {
		if err := p.sleep(ctx); err != nil {
			return nil, err
		}
		if time.Since(start) >= w.e.opts.MaxWait {
			return nil, &WaitLimitError{Name: w.name, What: w.waitingFor(), Limit: w.e.opts.MaxWait}
		}
		evErr := w.poll(ctx)
		if evErr != nil && !isThrottle(evErr) && !IsStackNotFound(evErr) {
			return nil, evErr
		}
		st, err := w.e.describe(ctx, w.ref())
		switch {
		case isThrottle(err):
			if throttledSince.IsZero() {
				throttledSince = time.Now()
			}
			if time.Since(throttledSince) >= w.e.opts.ThrottleLimit {
				return nil, &WaitLimitError{Name: w.name, What: "DescribeStacks while " + w.waitingFor(), Limit: w.e.opts.ThrottleLimit, Throttled: true}
			}
			p.throttled()
			w.e.throttleNote(w.s, w.name, w.phase, "DescribeStacks", p.interval)
			continue
		case err != nil:
			return nil, err
		}
		throttledSince = time.Time{}
		if isThrottle(evErr) {
			p.throttled()
			w.e.throttleNote(w.s, w.name, w.phase, "DescribeStackEvents (the status is still checked)", p.interval)
		}
		if st == nil || settled(string(st.StackStatus)) {
			_ = w.poll(ctx) // events written just before the final status
			return st, nil
		}
	}
}

// waitingFor says in words what wait waits for.
func (w *watcher) waitingFor() string {
	switch w.phase {
	case PhaseCreating:
		return "waiting for CloudFormation to create " + w.name
	case PhaseUpdating:
		return "waiting for CloudFormation to update " + w.name
	case PhaseDeleting:
		return "waiting for CloudFormation to delete " + w.name
	case PhaseRollingBack:
		return "waiting for CloudFormation to roll back " + w.name
	}
	return "waiting for the running operation on " + w.name + " to finish"
}

// eventsThrottleLimit bounds the wait for the events boundary, which is
// only needed to show events.
const eventsThrottleLimit = time.Minute

// poll fetches events newer than the boundary and not yet seen.
func (w *watcher) poll(ctx context.Context) error {
	if w.noEvents {
		return nil
	}
	var fresh []types.StackEvent
	in := &cloudformation.DescribeStackEventsInput{StackName: aws.String(w.ref())}
	for page := 0; page < 20; page++ {
		out, err := w.e.cfn.DescribeStackEvents(ctx, in)
		if err != nil {
			return err
		}
		stop := false
		for _, ev := range out.StackEvents {
			id := aws.ToString(ev.EventId)
			if id == w.boundary || w.seen[id] {
				stop = true
				break
			}
			fresh = append(fresh, ev)
		}
		if stop || out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	slices.Reverse(fresh)
	for _, ev := range fresh {
		w.seen[aws.ToString(ev.EventId)] = true
		w.events = append(w.events, ev)
		w.e.publish(w.event(ev))
	}
	return nil
}

func (w *watcher) event(ev types.StackEvent) Event {
	id := aws.ToString(ev.LogicalResourceId)
	typ := aws.ToString(ev.ResourceType)
	label := id
	if r, ok := w.labels[id]; ok {
		label = r.Label
	}
	return Event{
		Time: aws.ToTime(ev.Timestamp), Kind: KindResource, Op: w.op,
		Stack: w.s.ID, StackName: w.name,
		LogicalID: id, ResourceType: typ, Label: label,
		Status: string(ev.ResourceStatus), Reason: shortReason(aws.ToString(ev.ResourceStatusReason)),
		IsStack: typ == "AWS::CloudFormation::Stack" && id == w.name,
	}
}

// shortReason keeps the first useful sentence of a CloudFormation reason,
// dropping the "(Service: ...; Request ID: ...)" tail.
func shortReason(r string) string {
	if i := strings.Index(r, " (Service:"); i > 0 {
		r = r[:i]
	}
	return strings.TrimSpace(r)
}

// describe returns the stack, or nil when it does not exist.
func (e *Engine) describe(ctx context.Context, nameOrID string) (*types.Stack, error) {
	return DescribeStack(ctx, e.cfn, nameOrID)
}

func stackOutputs(st *types.Stack) map[string]string {
	m := map[string]string{}
	if st == nil {
		return m
	}
	for _, o := range st.Outputs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return m
}

func stackTags(st *types.Stack) map[string]string {
	m := map[string]string{}
	if st == nil {
		return m
	}
	for _, t := range st.Tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
