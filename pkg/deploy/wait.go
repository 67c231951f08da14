package deploy

import (
	"context"
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

// retryThrottled calls fn until CloudFormation stops throttling it.
func (e *Engine) retryThrottled(ctx context.Context, fn func() error) error {
	p := e.newPoller()
	for {
		err := fn()
		if !isThrottle(err) {
			return err
		}
		p.throttled()
		if err := p.sleep(ctx); err != nil {
			return err
		}
	}
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
	seen     map[string]bool
	events   []types.StackEvent // this operation's events, oldest first
}

// watch prepares to follow the next operation on stackID (empty for a
// stack that does not exist yet): events up to now are not shown.
func (e *Engine) watch(ctx context.Context, op Op, s *Stack, name, stackID string) (*watcher, error) {
	w := &watcher{e: e, op: op, s: s, name: name, stackID: stackID, seen: map[string]bool{}, labels: map[string]Resource{}}
	if rs, err := Resources(s.Template); err == nil {
		for _, r := range rs {
			w.labels[r.LogicalID] = r
		}
	}
	if stackID == "" {
		return w, nil
	}
	var out *cloudformation.DescribeStackEventsOutput
	err := e.retryThrottled(ctx, func() (err error) {
		out, err = e.cfn.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stackID)})
		return err
	})
	if err != nil && !isNotFound(err) {
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
// gone. It returns ctx's error when ctx ends first.
func (w *watcher) wait(ctx context.Context) (*types.Stack, error) {
	p := w.e.newPoller()
	for {
		if err := p.sleep(ctx); err != nil {
			return nil, err
		}
		if err := w.poll(ctx); err != nil {
			if isThrottle(err) {
				p.throttled()
				continue
			}
			if !isNotFound(err) {
				return nil, err
			}
		}
		st, err := w.e.describe(ctx, w.ref())
		if isThrottle(err) {
			p.throttled()
			continue
		}
		if err != nil {
			return nil, err
		}
		if st == nil || settled(string(st.StackStatus)) {
			_ = w.poll(ctx) // events written just before the final status
			return st, nil
		}
	}
}

// poll fetches events newer than the boundary and not yet seen.
func (w *watcher) poll(ctx context.Context) error {
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
	out, err := e.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(nameOrID)})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(out.Stacks) == 0 || out.Stacks[0].StackStatus == types.StackStatusDeleteComplete {
		return nil, nil
	}
	return &out.Stacks[0], nil
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
