// Package cfnfake is the in-memory CloudFormation of every test: it plays
// each stack operation as a scripted sequence of stack events spread over
// time (use it under testing/synctest for a fake clock), and records every
// call so tests can assert what the code under test did. It implements
// deploy.CloudFormationAPI and teardown.CFNAPI.
//
// A stack's resources come from its template (Seed, create, update), or,
// for stacks made with Add, are resources that live outside the fake (in
// moto_server, in sagemakerfake) with the call that deletes them for real:
// deleting such a stack fails the way AWS does when a bucket is not empty
// or a Studio profile still has apps. moto's own CloudFormation cannot
// fail a delete nor own resources of every type, hence this fake.
//
// What it does not model: intrinsic functions beyond Ref to a parameter in
// Outputs, resource dependencies (resources are created in template order
// and deleted in reverse), drift, stack policies, nested stacks.
package cfnfake

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"go.yaml.in/yaml/v3"
)

// Fake is an in-memory CloudFormation. Its zero value is not usable: call New.
type Fake struct {
	mu         sync.Mutex
	stacks     map[string]*fakeStack // live stacks by name
	byID       map[string]*fakeStack // every stack by ID, deleted ones too
	changeSets map[string]*fakeChangeSet
	calls      []string
	outcomes   map[string][]Outcome // next operations' scripts, by stack name
	throttle   map[string]int       // API name → how many calls to throttle
	stepGap    time.Duration        // time between two events of an operation
	duration   map[string]time.Duration
	deletes    map[string]int // deletions started, by stack name
	seq        int
}

// Resource is one resource of a stack. Delete, when set, removes the
// resource for real when its stack is deleted; its error fails the
// resource (DELETE_FAILED) and so the stack, as CloudFormation reports a
// resource it could not delete.
type Resource struct {
	Logical, Type, Physical string
	Delete                  func(ctx context.Context) error
	status, reason          string
}

// Existing is a stack that exists before the test starts, whose resources
// live outside the fake.
type Existing struct {
	Name          string
	Tags, Outputs map[string]string
	Resources     []*Resource
}

// Outcome scripts one operation: resource FailID fails with Reason (the
// other resources are cancelled), and Final, when set, overrides the
// status the stack ends in (e.g. UPDATE_ROLLBACK_FAILED).
type Outcome struct {
	FailID, Reason string
	Final          types.StackStatus
}

type fakeStack struct {
	id, name  string
	status    types.StackStatus
	reason    string
	template  string
	params    map[string]string
	tags      map[string]string
	outputs   map[string]string
	protect   bool
	resources []*Resource
	events    []types.StackEvent // newest first
	op        *fakeOp
}

// fakeOp is a running operation: events revealed as time passes, then the
// final status and its effect on the stack.
type fakeOp struct {
	start  time.Time
	steps  []step
	shown  int
	final  types.StackStatus
	reason string
	onDone func()
	kind   string // create, update, delete, rollback
}

type step struct {
	at                     time.Duration
	logical, typ, physical string
	status                 string
	reason                 string
}

type fakeChangeSet struct {
	id, name, stackID string
	typ               types.ChangeSetType
	template          string
	params, tags      map[string]string
	status            types.ChangeSetStatus
	reason            string
	changes           []types.Change
	executed          bool
}

func New() *Fake {
	return &Fake{
		stacks: map[string]*fakeStack{}, byID: map[string]*fakeStack{},
		changeSets: map[string]*fakeChangeSet{}, outcomes: map[string][]Outcome{},
		throttle: map[string]int{}, duration: map[string]time.Duration{}, stepGap: time.Second,
		deletes: map[string]int{},
	}
}

// SetStepGap sets the time between two events of an operation (default
// one second). Tests on the real clock set it small.
func (f *Fake) SetStepGap(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stepGap = d
}

// Add makes a stack in CREATE_COMPLETE whose resources live outside the
// fake, as if an earlier `up` had made it.
func (f *Fake) Add(e Existing) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := &fakeStack{id: f.nextID("stack", e.Name), name: e.Name, status: types.StackStatusCreateComplete,
		tags: maps.Clone(e.Tags), outputs: maps.Clone(e.Outputs), resources: e.Resources}
	for _, r := range st.resources {
		r.status = "CREATE_COMPLETE"
	}
	f.stacks[e.Name], f.byID[st.id] = st, st
	f.addEvent(st, step{logical: e.Name, typ: "AWS::CloudFormation::Stack", physical: st.id, status: "CREATE_COMPLETE"}, time.Now())
}

// Protect turns termination protection on, as the engine does for stacks
// that hold data.
func (f *Fake) Protect(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stacks[name].protect = true
}

// Deletes counts, per stack name, the DeleteStack calls that started a
// deletion (not those refused or made on a stack already gone).
func (f *Fake) Deletes() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.deletes)
}

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func notExist(name string) error {
	return apiErr("ValidationError", fmt.Sprintf("Stack with id %s does not exist", name))
}

// record logs a call and returns a throttling error when one is scripted.
func (f *Fake) record(api, target string) error {
	f.calls = append(f.calls, api+" "+target)
	if f.throttle[api] > 0 {
		f.throttle[api]--
		return apiErr("Throttling", "Rate exceeded")
	}
	return nil
}

// Count counts calls whose text ("API target") starts with prefix.
func (f *Fake) Count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// Mutations lists the calls that change something, in order.
func (f *Fake) Mutations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if !strings.HasPrefix(c, "Describe") {
			out = append(out, c)
		}
	}
	return out
}

// Status is the stack's status now ("" once it is gone).
func (f *Fake) Status(name string) types.StackStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st := f.stacks[name]; st != nil {
		f.advance(st)
		if f.stacks[name] != nil {
			return st.status
		}
	}
	return ""
}

func (f *Fake) lookup(ref string) *fakeStack {
	if st := f.stacks[ref]; st != nil {
		return st
	}
	return f.byID[ref]
}

func (f *Fake) nextID(kind, name string) string {
	f.seq++
	return fmt.Sprintf("arn:aws:cloudformation:us-east-1:123456789012:%s/%s/%04d", kind, name, f.seq)
}

func (f *Fake) addEvent(st *fakeStack, s step, at time.Time) {
	f.seq++
	st.events = append([]types.StackEvent{{
		EventId: aws.String(fmt.Sprintf("ev-%05d", f.seq)), StackId: aws.String(st.id), StackName: aws.String(st.name),
		LogicalResourceId: aws.String(s.logical), ResourceType: aws.String(s.typ), PhysicalResourceId: aws.String(s.physical),
		ResourceStatus: types.ResourceStatus(s.status), ResourceStatusReason: aws.String(s.reason), Timestamp: aws.Time(at),
	}}, st.events...)
}

// advance reveals the events due by now and finishes the operation.
func (f *Fake) advance(st *fakeStack) {
	op := st.op
	if op == nil {
		return
	}
	now := time.Now()
	for op.shown < len(op.steps) && !op.start.Add(op.steps[op.shown].at).After(now) {
		s := op.steps[op.shown]
		f.addEvent(st, s, op.start.Add(s.at))
		if s.logical == st.name {
			st.status, st.reason = types.StackStatus(s.status), s.reason
		}
		op.shown++
	}
	if op.shown == len(op.steps) {
		end := op.start.Add(op.steps[len(op.steps)-1].at)
		f.addEvent(st, stackStep(st, string(op.final), op.reason), end)
		st.status, st.reason = op.final, op.reason
		st.op = nil
		if op.onDone != nil {
			op.onDone()
		}
	}
}

// begin starts an operation; the stack's own events bracket the resource
// events, spread stepGap apart (or over the stack's scripted duration).
func (f *Fake) begin(st *fakeStack, kind string, steps []step, final types.StackStatus, reason string, onDone func()) {
	gap := f.stepGap
	if d := f.duration[st.name]; d > 0 {
		gap = d / time.Duration(len(steps))
	}
	for i := range steps {
		steps[i].at = time.Duration(i+1) * gap
	}
	st.op = &fakeOp{start: time.Now(), steps: steps, final: final, reason: reason, onDone: onDone, kind: kind}
	st.status = types.StackStatus(steps[0].status)
	f.advance(st)
}

func (f *Fake) popOutcome(name string) Outcome {
	q := f.outcomes[name]
	if len(q) == 0 {
		return Outcome{}
	}
	f.outcomes[name] = q[1:]
	return q[0]
}

func stackStep(st *fakeStack, status, reason string) step {
	return step{logical: st.name, typ: "AWS::CloudFormation::Stack", physical: st.id, status: status, reason: reason}
}

// run plays a create or update of template with the next scripted outcome.
func (f *Fake) run(st *fakeStack, create bool, template string, params, tags map[string]string) {
	o := f.popOutcome(st.name)
	res := resources(template)
	verb, done := "UPDATE", types.StackStatusUpdateComplete
	if create {
		verb, done = "CREATE", types.StackStatusCreateComplete
	}
	steps := []step{stackStep(st, verb+"_IN_PROGRESS", "User Initiated")}
	for _, r := range res {
		steps = append(steps, step{logical: r.LogicalID, typ: r.Type, status: verb + "_IN_PROGRESS"})
	}
	apply := func() {
		st.template, st.params, st.tags = template, params, tags
		st.outputs = templateOutputs(template, params)
		st.resources = templateResources(template)
	}
	if o.FailID == "" {
		for _, r := range res {
			steps = append(steps, step{logical: r.LogicalID, typ: r.Type, status: verb + "_COMPLETE"})
		}
		f.begin(st, strings.ToLower(verb), steps, done, "", apply)
		return
	}
	noun := map[bool]string{true: "creation", false: "update"}[create]
	for _, r := range res {
		if r.LogicalID == o.FailID {
			steps = append(steps, step{logical: r.LogicalID, typ: r.Type, status: verb + "_FAILED", reason: o.Reason + " (Service: Fake, Status Code: 400, Request ID: 1)"})
		}
	}
	for _, r := range res {
		if r.LogicalID != o.FailID {
			steps = append(steps, step{logical: r.LogicalID, typ: r.Type, status: verb + "_FAILED", reason: "Resource " + noun + " cancelled"})
		}
	}
	failedMsg := fmt.Sprintf("The following resource(s) failed to %s: [%s].", strings.ToLower(verb), o.FailID)
	if create {
		steps = append(steps, stackStep(st, "ROLLBACK_IN_PROGRESS", failedMsg))
		for _, r := range res {
			steps = append(steps, step{logical: r.LogicalID, typ: r.Type, status: "DELETE_COMPLETE"})
		}
		st.tags = tags
		f.begin(st, "create", steps, orStatus(o.Final, types.StackStatusRollbackComplete), failedMsg, nil)
		return
	}
	steps = append(steps, stackStep(st, "UPDATE_ROLLBACK_IN_PROGRESS", failedMsg))
	final := orStatus(o.Final, types.StackStatusUpdateRollbackComplete)
	reason := ""
	if final == types.StackStatusUpdateRollbackFailed {
		reason = "The following resource(s) failed to update: [" + o.FailID + "]."
	}
	f.begin(st, "update", steps, final, reason, nil)
}

func orStatus(s, def types.StackStatus) types.StackStatus {
	if s != "" {
		return s
	}
	return def
}

// runDelete deletes the stack's resources in reverse order, skipping
// those already deleted and those in retain (DELETE_SKIPPED). A resource
// fails when the scripted outcome names it or its Delete fails; any
// failure leaves the stack DELETE_FAILED, as CloudFormation does. The
// resources go at once; their events are revealed over time.
func (f *Fake) runDelete(ctx context.Context, st *fakeStack, retain []string) {
	o := f.popOutcome(st.name)
	f.deletes[st.name]++
	steps := []step{stackStep(st, "DELETE_IN_PROGRESS", "User Initiated")}
	var failed []string
	for _, r := range slices.Backward(st.resources) {
		if r.status == "DELETE_COMPLETE" || r.status == "DELETE_SKIPPED" {
			continue
		}
		if slices.Contains(retain, r.Logical) {
			r.status, r.reason = "DELETE_SKIPPED", ""
			steps = append(steps, r.step())
			continue
		}
		r.status, r.reason = "DELETE_IN_PROGRESS", ""
		steps = append(steps, r.step())
		if err := r.remove(ctx, o); err != nil {
			r.status, r.reason = "DELETE_FAILED", err.Error()
			steps = append(steps, r.step())
			failed = append(failed, r.Logical)
			continue
		}
		r.status = "DELETE_COMPLETE"
		steps = append(steps, r.step())
	}
	if len(failed) > 0 {
		msg := "The following resource(s) failed to delete: [" + strings.Join(failed, ", ") + "]."
		f.begin(st, "delete", steps, types.StackStatusDeleteFailed, msg, nil)
		return
	}
	f.begin(st, "delete", steps, types.StackStatusDeleteComplete, "", func() { delete(f.stacks, st.name) })
}

func (r *Resource) step() step {
	return step{logical: r.Logical, typ: r.Type, physical: r.Physical, status: r.status, reason: r.reason}
}

// remove deletes the resource: a scripted failure first, else its Delete.
func (r *Resource) remove(ctx context.Context, o Outcome) error {
	if o.FailID == r.Logical {
		return errors.New(o.Reason)
	}
	if r.Delete == nil {
		return nil
	}
	return r.Delete(ctx)
}

// templateResources lists a template's resources as created.
func templateResources(template string) []*Resource {
	var out []*Resource
	for _, r := range resources(template) {
		out = append(out, &Resource{Logical: r.LogicalID, Type: r.Type, Physical: r.LogicalID + "-physical", status: "CREATE_COMPLETE"})
	}
	return out
}

// templateOutputs evaluates Outputs whose values are literals or Refs to
// parameters, which is all the test templates use.
func templateOutputs(template string, params map[string]string) map[string]string {
	var doc yaml.Node
	out := map[string]string{}
	if yaml.Unmarshal([]byte(template), &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	outs := child(doc.Content[0], "Outputs")
	if outs == nil {
		return out
	}
	for i := 0; i+1 < len(outs.Content); i += 2 {
		v := child(outs.Content[i+1], "Value")
		switch {
		case v == nil:
		case v.Tag == "!Ref":
			out[outs.Content[i].Value] = params[v.Value]
		case child(v, "Ref") != nil:
			out[outs.Content[i].Value] = params[child(v, "Ref").Value]
		default:
			out[outs.Content[i].Value] = v.Value
		}
	}
	return out
}

// Seed puts a stack in a given state, as if an earlier run left it there.
func (f *Fake) Seed(name, template string, params, tags map[string]string, status types.StackStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := &fakeStack{id: f.nextID("stack", name), name: name, status: status, template: template, params: params, tags: tags}
	st.outputs = templateOutputs(template, params)
	st.resources = templateResources(template)
	f.stacks[name], f.byID[st.id] = st, st
	f.addEvent(st, stackStep(st, string(status), ""), time.Now())
}

func (f *Fake) describeStack(st *fakeStack) types.Stack {
	out := types.Stack{
		StackId: aws.String(st.id), StackName: aws.String(st.name), StackStatus: st.status,
		StackStatusReason: aws.String(st.reason), EnableTerminationProtection: aws.Bool(st.protect),
		CreationTime: aws.Time(time.Now()),
	}
	for _, k := range slices.Sorted(maps.Keys(st.tags)) {
		out.Tags = append(out.Tags, types.Tag{Key: aws.String(k), Value: aws.String(st.tags[k])})
	}
	for _, k := range slices.Sorted(maps.Keys(st.outputs)) {
		out.Outputs = append(out.Outputs, types.Output{OutputKey: aws.String(k), OutputValue: aws.String(st.outputs[k])})
	}
	for _, k := range slices.Sorted(maps.Keys(st.params)) {
		out.Parameters = append(out.Parameters, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(st.params[k])})
	}
	return out
}

func (f *Fake) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := aws.ToString(in.StackName)
	if err := f.record("DescribeStacks", ref); err != nil {
		return nil, err
	}
	if ref == "" {
		out := &cloudformation.DescribeStacksOutput{}
		for _, name := range slices.Sorted(maps.Keys(f.stacks)) {
			f.advance(f.stacks[name])
			out.Stacks = append(out.Stacks, f.describeStack(f.stacks[name]))
		}
		return out, nil
	}
	st := f.lookup(ref)
	if st == nil {
		return nil, notExist(ref)
	}
	f.advance(st)
	if st.status == types.StackStatusDeleteComplete && ref == st.name {
		return nil, notExist(ref)
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{f.describeStack(st)}}, nil
}

func (f *Fake) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := aws.ToString(in.StackName)
	if err := f.record("DescribeStackEvents", ref); err != nil {
		return nil, err
	}
	st := f.lookup(ref)
	if st == nil {
		return nil, notExist(ref)
	}
	f.advance(st)
	// Pages of five, newest first, like CloudFormation's (larger) pages.
	start := 0
	if in.NextToken != nil {
		_, _ = fmt.Sscan(*in.NextToken, &start)
	}
	end := min(start+5, len(st.events))
	out := &cloudformation.DescribeStackEventsOutput{StackEvents: slices.Clone(st.events[start:end])}
	if end < len(st.events) {
		out.NextToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func paramMap(ps []types.Parameter, previous map[string]string) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		k := aws.ToString(p.ParameterKey)
		if aws.ToBool(p.UsePreviousValue) {
			m[k] = previous[k]
			continue
		}
		m[k] = aws.ToString(p.ParameterValue)
	}
	return m
}

func tagMap(ts []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func (f *Fake) CreateChangeSet(_ context.Context, in *cloudformation.CreateChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.StackName)
	if err := f.record("CreateChangeSet", name); err != nil {
		return nil, err
	}
	st := f.stacks[name]
	if in.ChangeSetType == types.ChangeSetTypeCreate {
		if st != nil && st.status != types.StackStatusReviewInProgress {
			return nil, apiErr("AlreadyExistsException", "Stack ["+name+"] already exists")
		}
		if st == nil {
			st = &fakeStack{id: f.nextID("stack", name), name: name, status: types.StackStatusReviewInProgress, tags: tagMap(in.Tags)}
			f.stacks[name], f.byID[st.id] = st, st
			f.addEvent(st, stackStep(st, "REVIEW_IN_PROGRESS", "User Initiated"), time.Now())
		}
	} else if st == nil {
		return nil, notExist(name)
	}
	cs := &fakeChangeSet{
		id: f.nextID("changeSet", aws.ToString(in.ChangeSetName)), name: aws.ToString(in.ChangeSetName), stackID: st.id,
		typ: in.ChangeSetType, template: aws.ToString(in.TemplateBody), params: paramMap(in.Parameters, st.params), tags: tagMap(in.Tags),
		status: types.ChangeSetStatusCreateComplete,
	}
	cs.changes = diff(st, cs)
	if in.ChangeSetType == types.ChangeSetTypeUpdate && len(cs.changes) == 0 && maps.Equal(st.tags, cs.tags) {
		cs.status, cs.reason = types.ChangeSetStatusFailed, "The submitted information didn't contain changes. Submit different information to create a change set."
	}
	f.changeSets[cs.id] = cs
	return &cloudformation.CreateChangeSetOutput{Id: aws.String(cs.id), StackId: aws.String(st.id)}, nil
}

// diff lists Add/Remove/Modify by comparing resources' YAML.
func diff(st *fakeStack, cs *fakeChangeSet) []types.Change {
	old, cur := resourceBodies(st.template), resourceBodies(cs.template)
	var out []types.Change
	add := func(action types.ChangeAction, id string, typ string) {
		out = append(out, types.Change{Type: types.ChangeTypeResource, ResourceChange: &types.ResourceChange{
			Action: action, LogicalResourceId: aws.String(id), ResourceType: aws.String(typ), Replacement: types.ReplacementFalse,
		}})
	}
	paramsChanged := !maps.Equal(st.params, cs.params)
	for _, r := range resources(cs.template) {
		switch b, ok := old[r.LogicalID]; {
		case !ok:
			add(types.ChangeActionAdd, r.LogicalID, r.Type)
		case b != cur[r.LogicalID] || paramsChanged:
			add(types.ChangeActionModify, r.LogicalID, r.Type)
		}
	}
	for _, r := range resources(st.template) {
		if _, ok := cur[r.LogicalID]; !ok {
			add(types.ChangeActionRemove, r.LogicalID, r.Type)
		}
	}
	return out
}

type resource struct{ LogicalID, Type string }

// resources lists a template's resources in order.
func resources(template string) []resource {
	var doc yaml.Node
	if yaml.Unmarshal([]byte(template), &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	res := child(doc.Content[0], "Resources")
	if res == nil {
		return nil
	}
	var out []resource
	for i := 0; i+1 < len(res.Content); i += 2 {
		r := resource{LogicalID: res.Content[i].Value}
		if t := child(res.Content[i+1], "Type"); t != nil {
			r.Type = t.Value
		}
		out = append(out, r)
	}
	return out
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func resourceBodies(template string) map[string]string {
	var doc yaml.Node
	out := map[string]string{}
	if yaml.Unmarshal([]byte(template), &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	res := child(doc.Content[0], "Resources")
	if res == nil {
		return out
	}
	for i := 0; i+1 < len(res.Content); i += 2 {
		b, _ := yaml.Marshal(res.Content[i+1])
		out[res.Content[i].Value] = string(b)
	}
	return out
}

func (f *Fake) DescribeChangeSet(_ context.Context, in *cloudformation.DescribeChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.ChangeSetName)
	if err := f.record("DescribeChangeSet", id); err != nil {
		return nil, err
	}
	cs := f.changeSets[id]
	if cs == nil {
		return nil, apiErr("ChangeSetNotFound", "ChangeSet ["+id+"] does not exist")
	}
	return &cloudformation.DescribeChangeSetOutput{
		ChangeSetId: aws.String(cs.id), Status: cs.status, StatusReason: aws.String(cs.reason), Changes: cs.changes,
	}, nil
}

func (f *Fake) ExecuteChangeSet(_ context.Context, in *cloudformation.ExecuteChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.ChangeSetName)
	cs := f.changeSets[id]
	if cs == nil {
		return nil, apiErr("ChangeSetNotFound", "ChangeSet ["+id+"] does not exist")
	}
	st := f.byID[cs.stackID]
	if err := f.record("ExecuteChangeSet", st.name); err != nil {
		return nil, err
	}
	cs.executed = true
	f.run(st, cs.typ == types.ChangeSetTypeCreate, cs.template, cs.params, cs.tags)
	return &cloudformation.ExecuteChangeSetOutput{}, nil
}

func (f *Fake) DeleteChangeSet(_ context.Context, in *cloudformation.DeleteChangeSetInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.ChangeSetName)
	cs := f.changeSets[id]
	target := id
	if cs != nil {
		target = f.byID[cs.stackID].name
	}
	if err := f.record("DeleteChangeSet", target); err != nil {
		return nil, err
	}
	delete(f.changeSets, id)
	return &cloudformation.DeleteChangeSetOutput{}, nil
}

func (f *Fake) CreateStack(_ context.Context, in *cloudformation.CreateStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.StackName)
	if err := f.record("CreateStack", name); err != nil {
		return nil, err
	}
	if f.stacks[name] != nil {
		return nil, apiErr("AlreadyExistsException", "Stack ["+name+"] already exists")
	}
	// CloudFormation shows a new stack's tags from the start of its create.
	st := &fakeStack{id: f.nextID("stack", name), name: name, protect: aws.ToBool(in.EnableTerminationProtection), tags: tagMap(in.Tags)}
	f.stacks[name], f.byID[st.id] = st, st
	f.run(st, true, aws.ToString(in.TemplateBody), paramMap(in.Parameters, nil), tagMap(in.Tags))
	return &cloudformation.CreateStackOutput{StackId: aws.String(st.id)}, nil
}

func (f *Fake) UpdateStack(_ context.Context, in *cloudformation.UpdateStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.UpdateStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := aws.ToString(in.StackName)
	st := f.lookup(ref)
	if st == nil {
		return nil, notExist(ref)
	}
	if err := f.record("UpdateStack", st.name); err != nil {
		return nil, err
	}
	params, tags := paramMap(in.Parameters, st.params), tagMap(in.Tags)
	if aws.ToString(in.TemplateBody) == st.template && maps.Equal(params, st.params) && maps.Equal(tags, st.tags) {
		return nil, apiErr("ValidationError", "No updates are to be performed.")
	}
	f.run(st, false, aws.ToString(in.TemplateBody), params, tags)
	return &cloudformation.UpdateStackOutput{StackId: aws.String(st.id)}, nil
}

func (f *Fake) DeleteStack(ctx context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := aws.ToString(in.StackName)
	st := f.lookup(ref)
	if st == nil {
		return &cloudformation.DeleteStackOutput{}, f.record("DeleteStack", ref)
	}
	if err := f.record("DeleteStack", st.name); err != nil {
		return nil, err
	}
	if st.protect {
		return nil, apiErr("ValidationError", "Stack ["+st.name+"] cannot be deleted while TerminationProtection is enabled")
	}
	f.advance(st)
	if st.status == types.StackStatusDeleteComplete {
		return &cloudformation.DeleteStackOutput{}, nil
	}
	// "You might retain resources when a stack is in the DELETE_FAILED
	// state" (DeleteStack, RetainResources, API reference).
	if len(in.RetainResources) > 0 && st.status != types.StackStatusDeleteFailed {
		return nil, apiErr("ValidationError", "RetainResources may only be given for a stack in DELETE_FAILED")
	}
	st.op = nil // deleting a stack that is being created cancels the create
	f.runDelete(ctx, st, in.RetainResources)
	return &cloudformation.DeleteStackOutput{}, nil
}

func (f *Fake) CancelUpdateStack(_ context.Context, in *cloudformation.CancelUpdateStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.CancelUpdateStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.lookup(aws.ToString(in.StackName))
	if err := f.record("CancelUpdateStack", st.name); err != nil {
		return nil, err
	}
	f.advance(st)
	if st.status != types.StackStatusUpdateInProgress {
		return nil, apiErr("ValidationError", "CancelUpdateStack cannot be called from current stack status")
	}
	f.begin(st, "rollback", []step{
		stackStep(st, "UPDATE_ROLLBACK_IN_PROGRESS", "Stack update cancelled"),
		stackStep(st, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", ""),
	}, types.StackStatusUpdateRollbackComplete, "", nil)
	return &cloudformation.CancelUpdateStackOutput{}, nil
}

func (f *Fake) ContinueUpdateRollback(_ context.Context, in *cloudformation.ContinueUpdateRollbackInput, _ ...func(*cloudformation.Options)) (*cloudformation.ContinueUpdateRollbackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.lookup(aws.ToString(in.StackName))
	if err := f.record("ContinueUpdateRollback", st.name); err != nil {
		return nil, err
	}
	if st.status != types.StackStatusUpdateRollbackFailed {
		return nil, apiErr("ValidationError", "ContinueUpdateRollback cannot be called from current stack status")
	}
	f.begin(st, "rollback", []step{
		stackStep(st, "UPDATE_ROLLBACK_IN_PROGRESS", "Continue rollback"),
		stackStep(st, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", ""),
	}, types.StackStatusUpdateRollbackComplete, "", nil)
	return &cloudformation.ContinueUpdateRollbackOutput{}, nil
}

func (f *Fake) UpdateTerminationProtection(_ context.Context, in *cloudformation.UpdateTerminationProtectionInput, _ ...func(*cloudformation.Options)) (*cloudformation.UpdateTerminationProtectionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.lookup(aws.ToString(in.StackName))
	if err := f.record("UpdateTerminationProtection", st.name); err != nil {
		return nil, err
	}
	st.protect = aws.ToBool(in.EnableTerminationProtection)
	return &cloudformation.UpdateTerminationProtectionOutput{}, nil
}

// DescribeStackResources lists a stack's resources and their statuses.
func (f *Fake) DescribeStackResources(_ context.Context, in *cloudformation.DescribeStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := aws.ToString(in.StackName)
	if err := f.record("DescribeStackResources", ref); err != nil {
		return nil, err
	}
	st := f.lookup(ref)
	if st == nil {
		return nil, notExist(ref)
	}
	out := &cloudformation.DescribeStackResourcesOutput{}
	for _, r := range st.resources {
		out.StackResources = append(out.StackResources, types.StackResource{
			LogicalResourceId: aws.String(r.Logical), PhysicalResourceId: aws.String(r.Physical), ResourceType: aws.String(r.Type),
			ResourceStatus: types.ResourceStatus(r.status), ResourceStatusReason: aws.String(r.reason),
			StackName: aws.String(st.name), StackId: aws.String(st.id),
		})
	}
	return out, nil
}

// Script queues outcomes for the next operations on stack name; an
// operation with nothing queued succeeds.
func (f *Fake) Script(name string, o ...Outcome) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outcomes[name] = append(f.outcomes[name], o...)
}

// Throttle makes the next n calls of api fail with a Throttling error.
func (f *Fake) Throttle(api string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle[api] = n
}

// Throttles says how many throttled calls of api are still pending.
func (f *Fake) Throttles(api string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.throttle[api]
}

// SetDuration spreads each operation on stack name over d (default: one
// second per event).
func (f *Fake) SetDuration(name string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.duration[name] = d
}

// Calls returns every call so far, as "API target".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// ResetCalls forgets the calls so far.
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// State is what the fake holds for one live stack.
type State struct {
	Status    types.StackStatus
	Params    map[string]string
	Tags      map[string]string
	Outputs   map[string]string
	Protected bool
}

// Stack returns the live stack's state, or nil when there is none.
func (f *Fake) Stack(name string) *State {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.stacks[name]
	if st == nil {
		return nil
	}
	f.advance(st)
	if f.stacks[name] == nil {
		return nil
	}
	return &State{Status: st.status, Params: maps.Clone(st.params), Tags: maps.Clone(st.tags), Outputs: maps.Clone(st.outputs), Protected: st.protect}
}

// Names lists the live stacks.
func (f *Fake) Names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, st := range f.stacks {
		f.advance(st)
	}
	return slices.Sorted(maps.Keys(f.stacks))
}

// ChangeSets counts the change sets that exist.
func (f *Fake) ChangeSets() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.changeSets)
}

// StartUpdate begins an update of a live stack with new parameters and
// tags, as another user's run would; it runs while the test goes on.
func (f *Fake) StartUpdate(name string, params, tags map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.stacks[name]
	f.run(st, false, st.template, params, tags)
}

// Cleanup puts a live stack in a *_CLEANUP_IN_PROGRESS status (e.g.
// UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) for d, after which it settles in
// the status before the suffix (UPDATE_COMPLETE), as CloudFormation does
// once it has deleted the resources an update replaced.
func (f *Fake) Cleanup(name string, status types.StackStatus, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.stacks[name]
	final := types.StackStatus(strings.TrimSuffix(string(status), "_CLEANUP_IN_PROGRESS"))
	st.op = &fakeOp{start: time.Now(), steps: []step{stackStep(st, string(status), ""), {at: d, logical: "Cleanup", typ: "Custom::Cleanup", status: "DELETE_COMPLETE"}},
		final: final, kind: "cleanup"}
	st.status = status
	f.advance(st)
}
