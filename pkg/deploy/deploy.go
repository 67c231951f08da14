package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// maxSettleRounds bounds how often one stack is re-examined after waiting
// for another operation or recovering from a failed one.
const maxSettleRounds = 5

// Deploy creates or updates every stack of d in dependency order and
// returns all stacks' outputs. Each stack's error is in the result
// (errors.Join), typed: StackFailedError, StackInProgressError, NotOwnedError,
// InterruptedError (exit code 130), ...
func (e *Engine) Deploy(ctx context.Context, d Deployment) (Outputs, error) {
	ordered, err := d.order()
	if err != nil {
		return nil, err
	}
	e.start(OpDeploy, d, ordered)
	var mu sync.Mutex
	all := Outputs{}
	snapshot := func() Outputs {
		mu.Lock()
		defer mu.Unlock()
		c := Outputs{}
		for k, v := range all {
			c[k] = maps.Clone(v)
		}
		return c
	}
	err = e.runGraph(ctx, OpDeploy, d, ordered, false, func(ctx context.Context, s *Stack) error {
		var out map[string]string
		var err error
		if s.step != nil {
			out, err = e.runStep(ctx, s, snapshot())
		} else {
			out, err = e.deployStack(ctx, d, s, snapshot())
			err = asInterrupt(ctx, d.StackName(s.ID), err)
		}
		if err != nil {
			e.phase(OpDeploy, s, d.StackName(s.ID), failPhase(err), err.Error())
			return err
		}
		mu.Lock()
		all[s.ID] = out
		mu.Unlock()
		return nil
	})
	if err == nil && ctx.Err() != nil {
		err = &InterruptedError{Done: []string{"stopped before the remaining stacks started; the stacks that finished stay as deployed"}}
	}
	e.finish(OpDeploy, err)
	return snapshot(), err
}

// asInterrupt turns a cancellation that reached a stack before it changed
// anything (in a hook, or while describing) into InterruptedError.
func asInterrupt(ctx context.Context, name string, err error) error {
	var ie *InterruptedError
	if err == nil || ctx.Err() == nil || errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
		return err
	}
	return &InterruptedError{Done: []string{name + ": stopped before it changed"}}
}

func failPhase(err error) Phase {
	var ie *InterruptedError
	if errors.As(err, &ie) {
		if len(ie.Running) > 0 {
			return PhaseDetached
		}
		return PhaseInterrupted
	}
	return PhaseFailed
}

func (e *Engine) start(op Op, d Deployment, ordered []*Stack) {
	var ids []string
	for _, s := range ordered {
		if s.step == nil {
			ids = append(ids, s.ID)
		}
	}
	e.publish(Event{Kind: KindStart, Op: op, Stacks: ids, Steps: stepIDs(ordered)})
	for _, s := range ordered {
		e.phase(op, s, d.StackName(s.ID), PhaseWaiting, "")
	}
}

func (e *Engine) finish(op Op, err error) {
	ev := Event{Kind: KindFinish, Op: op}
	if err != nil {
		ev.Error = err.Error()
	}
	e.publish(ev)
}

// desired is what one stack should look like after the run.
type desired struct {
	name     string
	params   map[string]string
	tags     map[string]string
	hash     string
	template []byte
}

func (e *Engine) desire(d Deployment, s *Stack, deps Outputs) (*desired, error) {
	name := d.StackName(s.ID)
	params := maps.Clone(s.Params)
	if params == nil {
		params = map[string]string{}
	}
	for _, im := range s.Imports {
		v, ok := deps[im.FromStack][im.Output]
		if !ok {
			return nil, fmt.Errorf("stack %s needs output %s of stack %s (for parameter %s), and that stack has no such output", name, im.Output, d.StackName(im.FromStack), im.Param)
		}
		params[im.Param] = v
	}
	tpl := s.Template
	if s.Finalize != nil {
		var err error
		if tpl, err = s.Finalize(tpl, params); err != nil {
			return nil, fmt.Errorf("stack %s: %w", name, err)
		}
	}
	tags := e.tags(d, s)
	hash := configHash(tpl, params, tags, s.Capabilities, s.HoldsData)
	tags[TagHash] = hash
	return &desired{name: name, params: params, tags: tags, hash: hash, template: tpl}, nil
}

func (e *Engine) tags(d Deployment, s *Stack) map[string]string {
	t := maps.Clone(s.Tags)
	if t == nil {
		t = map[string]string{}
	}
	t[TagDeployment] = d.Name
	t[TagStack] = s.ID
	t[TagVersion] = e.opts.Version
	return t
}

func (e *Engine) deployStack(ctx context.Context, d Deployment, s *Stack, deps Outputs) (map[string]string, error) {
	e.phase(OpDeploy, s, d.StackName(s.ID), PhasePreparing, "")
	want, err := e.desire(d, s, deps)
	if err != nil {
		return nil, err
	}
	for range maxSettleRounds {
		st, err := e.describe(ctx, want.name)
		if err != nil {
			return nil, err
		}
		if err := owned(st, d.Name); err != nil {
			return nil, err
		}
		out, again, err := e.upsert(ctx, s, want, st, deps)
		if !again {
			return out, err
		}
	}
	return nil, &StackStateError{Name: want.name, Status: "changing", Next: "another operation keeps changing it; wait and run again"}
}

// owned refuses a stack this deployment did not make.
func owned(st *types.Stack, deployment string) error {
	// An empty review stack (left by an interrupted create) holds nothing.
	if st == nil || st.StackStatus == types.StackStatusReviewInProgress {
		return nil
	}
	if stackTags(st)[TagDeployment] != deployment {
		return &NotOwnedError{Name: aws.ToString(st.StackName), Deployment: deployment}
	}
	return nil
}

// upsert takes one step for a stack in state st; again asks the caller to
// describe the stack and call again.
func (e *Engine) upsert(ctx context.Context, s *Stack, want *desired, st *types.Stack, deps Outputs) (out map[string]string, again bool, err error) {
	if st == nil {
		out, err = e.apply(ctx, s, want, nil, deps)
		return out, false, err
	}
	status := st.StackStatus
	switch {
	case status == types.StackStatusReviewInProgress:
		out, err = e.apply(ctx, s, want, st, deps)
		return out, false, err
	case status == types.StackStatusRollbackComplete || status == types.StackStatusRollbackFailed:
		e.phase(OpDeploy, s, want.name, PhaseRecovering, fmt.Sprintf("deleting the failed first create (%s)", status))
		if err := e.deleteAndWait(ctx, OpDeploy, s, st); err != nil {
			return nil, false, err
		}
		out, err = e.apply(ctx, s, want, nil, deps)
		return out, false, err
	case !settled(string(status)):
		if e.opts.NoWait {
			return nil, false, &StackInProgressError{Name: want.name, Status: string(status)}
		}
		e.phase(OpDeploy, s, want.name, PhaseRecovering, fmt.Sprintf("waiting for the running operation (%s) to finish", status))
		return nil, true, e.settle(ctx, s, want.name, aws.ToString(st.StackId))
	case status == types.StackStatusUpdateRollbackFailed:
		e.phase(OpDeploy, s, want.name, PhaseRecovering, "continuing the failed rollback")
		return nil, true, e.continueRollback(ctx, s, want.name, aws.ToString(st.StackId))
	case status == types.StackStatusDeleteFailed:
		return nil, false, &StackStateError{Name: want.name, Status: string(status), Next: "run `mlflowctl down` to finish deleting it, then `mlflowctl up`"}
	}
	if !e.opts.Force && stackTags(st)[TagHash] == want.hash && reusable(status) {
		e.phase(OpDeploy, s, want.name, PhaseNoChanges, "")
		return stackOutputs(st), false, nil
	}
	out, err = e.apply(ctx, s, want, st, deps)
	return out, false, err
}

// reusable states are those whose tags describe what is deployed.
// The *_CLEANUP_IN_PROGRESS states come after the stack reached its
// final configuration (CloudFormation only deletes replaced resources
// then; "Stack status codes", CloudFormation User Guide), so their
// outputs are current.
func reusable(s types.StackStatus) bool {
	switch s {
	case types.StackStatusUpdateRollbackComplete, types.StackStatusUpdateCompleteCleanupInProgress,
		types.StackStatusUpdateRollbackCompleteCleanupInProgress:
		return true
	}
	return succeeded(s)
}

func (e *Engine) settle(ctx context.Context, s *Stack, name, stackID string) error {
	w, err := e.watch(ctx, OpDeploy, s, name, "")
	if err != nil {
		return err
	}
	w.stackID = stackID
	_, err = w.wait(ctx)
	return err
}

func (e *Engine) continueRollback(ctx context.Context, s *Stack, name, stackID string) error {
	w, err := e.watch(ctx, OpDeploy, s, name, stackID)
	if err != nil {
		return err
	}
	if _, err := e.cfn.ContinueUpdateRollback(ctx, &cloudformation.ContinueUpdateRollbackInput{StackName: aws.String(stackID)}); err != nil {
		return fmt.Errorf("stack %s: continue the failed rollback: %w", name, err)
	}
	st, err := w.wait(ctx)
	if err != nil {
		return err
	}
	if st != nil && st.StackStatus == types.StackStatusUpdateRollbackFailed {
		return w.failure(st)
	}
	return nil
}

// apply creates (st nil or REVIEW_IN_PROGRESS) or updates the stack.
func (e *Engine) apply(ctx context.Context, s *Stack, want *desired, st *types.Stack, deps Outputs) (map[string]string, error) {
	src, err := e.templateSource(ctx, want, deps)
	if err != nil {
		return nil, err
	}
	create := st == nil || st.StackStatus == types.StackStatusReviewInProgress
	stackID := ""
	if st != nil {
		stackID = aws.ToString(st.StackId)
	}
	if e.opts.DirectCalls {
		w, err := e.watch(ctx, OpDeploy, s, want.name, stackID)
		if err != nil {
			return nil, err
		}
		return e.applyDirect(ctx, s, want, src, w, create, st)
	}
	cs, err := e.createChangeSet(ctx, s, want, src, create)
	var empty *ChangeSetEmptyError
	if errors.As(err, &empty) {
		e.phase(OpDeploy, s, want.name, PhaseNoChanges, "")
		return stackOutputs(st), nil
	}
	if cs != nil && ctx.Err() != nil {
		return nil, e.abandon(ctx, want.name, cs, create)
	}
	if err != nil {
		return nil, err
	}
	// Watch from here: a create change set's review events are not news.
	w, err := e.watch(ctx, OpDeploy, s, want.name, cs.stackID)
	if err != nil && ctx.Err() == nil {
		return nil, err
	}
	sent := false
	if ctx.Err() == nil {
		sent = true
		_, err = e.cfn.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{ChangeSetName: aws.String(cs.id)})
	}
	if ctx.Err() != nil && sent && w != nil && e.started(ctx, cs.stackID) {
		// Ctrl-C while ExecuteChangeSet was on the wire, and it ran.
		return nil, e.interrupted(ctx, s, w, create)
	}
	if ctx.Err() != nil {
		return nil, e.abandon(ctx, want.name, cs, create)
	}
	if err != nil {
		return nil, fmt.Errorf("stack %s: execute change set: %w", want.name, err)
	}
	return e.follow(ctx, s, w, create)
}

func (e *Engine) applyDirect(ctx context.Context, s *Stack, want *desired, src templateSource, w *watcher, create bool, st *types.Stack) (map[string]string, error) {
	token := requestToken(want)
	if create {
		out, err := e.cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
			StackName: aws.String(want.name), TemplateBody: src.body, TemplateURL: src.url,
			Parameters: parameters(want.params, nil), Capabilities: capabilities(s.Capabilities),
			Tags: tagList(want.tags), EnableTerminationProtection: aws.Bool(s.HoldsData),
			ClientRequestToken: aws.String(token),
		})
		if err != nil {
			// The call may have reached CloudFormation even so: a lost
			// reply the SDK retried (AlreadyExists), or a Ctrl-C while the
			// request was on the wire.
			return e.createUnanswered(ctx, s, want, w, err)
		}
		w.stackID = aws.ToString(out.StackId)
		return e.follow(ctx, s, w, true)
	}
	_, err := e.cfn.UpdateStack(ctx, &cloudformation.UpdateStackInput{
		StackName: aws.String(w.stackID), TemplateBody: src.body, TemplateURL: src.url,
		Parameters: parameters(want.params, nil), Capabilities: capabilities(s.Capabilities),
		Tags: tagList(want.tags), ClientRequestToken: aws.String(token),
	})
	if err != nil && ctx.Err() != nil {
		return e.updateUnanswered(ctx, s, w, err)
	}
	if err != nil && isNoChanges(apiMessage(err)) {
		e.phase(OpDeploy, s, want.name, PhaseNoChanges, "")
		return stackOutputs(st), nil
	}
	if err != nil {
		return nil, fmt.Errorf("stack %s: update: %w", want.name, err)
	}
	return e.follow(ctx, s, w, false)
}

// started reports whether the stack is running an operation now (the
// check after a Ctrl-C that may have cut an execute call short).
func (e *Engine) started(ctx context.Context, stackID string) bool {
	cctx, cancel := e.cleanupContext(ctx)
	defer cancel()
	st, err := e.describe(cctx, stackID)
	return err == nil && st != nil && !settled(string(st.StackStatus))
}

// requestToken identifies one create or update of one configuration, so
// CloudFormation recognises the SDK's retry of a call whose reply was lost
// ("Specify this token if you plan to retry requests so that
// CloudFormation knows that you're not attempting to create a stack with
// the same name", CreateStack API reference, ClientRequestToken). At most
// 128 characters of [a-zA-Z0-9-].
func requestToken(want *desired) string {
	return fmt.Sprintf("mlflowctl-%s-%d", want.hash[:32], time.Now().UnixNano())
}

// createUnanswered handles a CreateStack call that returned an error but
// may have reached CloudFormation. A stack of this name with this run's
// configuration hash is the create this run made: it is followed (or, after
// Ctrl-C, handled as an interrupted create). Otherwise the error stands.
func (e *Engine) createUnanswered(ctx context.Context, s *Stack, want *desired, w *watcher, callErr error) (map[string]string, error) {
	var broken *smithy.DeserializationError
	reached := apiCode(callErr) == "AlreadyExistsException" || errors.As(callErr, &broken)
	if !reached && ctx.Err() == nil {
		return nil, fmt.Errorf("stack %s: create: %w", want.name, callErr)
	}
	cctx, cancel := e.cleanupContext(ctx)
	defer cancel()
	var st *types.Stack
	err := e.retryThrottled(cctx, s, want.name, "DescribeStacks", func() (err error) {
		st, err = e.describe(cctx, want.name)
		return err
	})
	ours := err == nil && st != nil && stackTags(st)[TagHash] == want.hash && isCreateState(st.StackStatus)
	switch {
	case ours:
		w.stackID = aws.ToString(st.StackId)
		if ctx.Err() != nil {
			return nil, e.interrupted(ctx, s, w, true)
		}
		return e.follow(ctx, s, w, true)
	case ctx.Err() != nil && err == nil && st == nil:
		return nil, &InterruptedError{Done: []string{want.name + ": stopped while CreateStack was sent; CloudFormation has no such stack, nothing changed"}}
	case ctx.Err() != nil:
		return nil, &InterruptedError{Running: []string{want.name + " (CreateStack was sent; whether it was created is unknown)"}}
	}
	return nil, fmt.Errorf("stack %s: create: %w", want.name, callErr)
}

// updateUnanswered handles Ctrl-C while UpdateStack was on the wire: if
// the update started, it is cancelled and rolled back like any other.
func (e *Engine) updateUnanswered(ctx context.Context, s *Stack, w *watcher, callErr error) (map[string]string, error) {
	cctx, cancel := e.cleanupContext(ctx)
	defer cancel()
	st, err := e.describe(cctx, w.stackID)
	if err == nil && st != nil && st.StackStatus == types.StackStatusUpdateInProgress {
		return nil, e.interrupted(ctx, s, w, false)
	}
	if err == nil {
		return nil, &InterruptedError{Done: []string{w.name + ": stopped while UpdateStack was sent; the stack did not start updating"}}
	}
	return nil, fmt.Errorf("stack %s: update interrupted (%w); whether it started is unknown: %w", w.name, callErr, err)
}

func isCreateState(s types.StackStatus) bool {
	switch s {
	case types.StackStatusCreateInProgress, types.StackStatusCreateComplete, types.StackStatusCreateFailed,
		types.StackStatusRollbackInProgress, types.StackStatusRollbackComplete, types.StackStatusRollbackFailed:
		return true
	}
	return false
}

// follow waits for the running create or update and reports its result.
func (e *Engine) follow(ctx context.Context, s *Stack, w *watcher, create bool) (map[string]string, error) {
	p := PhaseUpdating
	if create {
		p = PhaseCreating
	}
	e.phase(OpDeploy, s, w.name, p, "")
	w.phase = p
	st, err := w.wait(ctx)
	if err != nil && ctx.Err() != nil {
		return nil, e.interrupted(ctx, s, w, create)
	}
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, &StackNotFoundError{Name: w.name}
	}
	if !succeeded(st.StackStatus) {
		return nil, w.failure(st)
	}
	if s.HoldsData && !aws.ToBool(st.EnableTerminationProtection) {
		if _, err := e.cfn.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
			StackName: aws.String(w.stackID), EnableTerminationProtection: aws.Bool(true),
		}); err != nil {
			return nil, fmt.Errorf("stack %s: turn on termination protection: %w", w.name, err)
		}
	}
	e.phase(OpDeploy, s, w.name, PhaseComplete, "")
	return stackOutputs(st), nil
}

// interrupted handles a cancel while an operation runs: an update is
// cancelled and rolled back; a first create is deleted if the user agrees.
func (e *Engine) interrupted(ctx context.Context, s *Stack, w *watcher, create bool) error {
	cctx, cancel := e.cleanupContext(ctx)
	defer cancel()
	if create {
		ok, err := e.confirm(cctx, fmt.Sprintf("Delete the half-created stack %s?", w.name))
		if err != nil || !ok {
			e.phase(OpDeploy, s, w.name, PhaseDetached, "still being created in AWS")
			return &InterruptedError{Running: []string{w.name + " (creating)"}}
		}
		e.phase(OpDeploy, s, w.name, PhaseDeleting, "interrupted: deleting the half-created stack")
		w.phase = PhaseDeleting
		if s.HoldsData && e.opts.DirectCalls {
			// CreateStack turned termination protection on already
			// ("a stack with termination protection enabled cannot be
			// deleted", DeleteStack API reference).
			if _, err := e.cfn.UpdateTerminationProtection(cctx, &cloudformation.UpdateTerminationProtectionInput{
				StackName: aws.String(w.stackID), EnableTerminationProtection: aws.Bool(false),
			}); err != nil && cctx.Err() == nil {
				return fmt.Errorf("stack %s: turn off termination protection to delete it after the interrupt: %w", w.name, err)
			}
		}
		if _, err := e.cfn.DeleteStack(cctx, &cloudformation.DeleteStackInput{StackName: aws.String(w.stackID)}); err != nil {
			if cctx.Err() != nil {
				// A second Ctrl-C cancelled the clean-up: the stack stays.
				e.phase(OpDeploy, s, w.name, PhaseDetached, "the clean-up delete was cancelled; the stack exists in AWS")
				return &InterruptedError{Running: []string{w.name + " (created or being created; the clean-up delete was cancelled: remove it with `mlflowctl down`, or run `mlflowctl up` to finish it)"}}
			}
			return fmt.Errorf("stack %s: delete after interrupt: %w", w.name, err)
		}
		return e.afterInterrupt(cctx, s, w, "creation stopped and the half-created stack deleted", "(deleting)")
	}
	e.phase(OpDeploy, s, w.name, PhaseRollingBack, "interrupted: cancelling the update")
	w.phase = PhaseRollingBack
	// A ValidationError means the update is past cancelling (finishing
	// or already rolling back): wait for it all the same.
	if _, err := e.cfn.CancelUpdateStack(cctx, &cloudformation.CancelUpdateStackInput{StackName: aws.String(w.stackID)}); err != nil && apiCode(err) != "ValidationError" {
		return fmt.Errorf("stack %s: cancel the update after interrupt: %w", w.name, err)
	}
	return e.afterInterrupt(cctx, s, w, "update cancelled and rolled back", "(rolling back)")
}

func (e *Engine) afterInterrupt(cctx context.Context, s *Stack, w *watcher, done, running string) error {
	st, err := w.wait(cctx)
	if err != nil && e.detached() {
		e.phase(OpDeploy, s, w.name, PhaseDetached, "still "+running[1:len(running)-1]+" in AWS")
		return &InterruptedError{Running: []string{w.name + " " + running}}
	}
	if err != nil {
		return err
	}
	if st != nil && succeeded(st.StackStatus) {
		return &InterruptedError{Done: []string{w.name + ": finished before the interrupt took effect"}}
	}
	if st != nil && !settledAfterCleanup(st.StackStatus) {
		return w.failure(st)
	}
	return &InterruptedError{Done: []string{w.name + ": " + done}}
}

func settledAfterCleanup(s types.StackStatus) bool {
	return s == types.StackStatusUpdateRollbackComplete || s == types.StackStatusDeleteComplete
}

// abandon cleans up after an interrupt before the change set ran: the
// change set goes, and so does the empty stack a create change set made.
func (e *Engine) abandon(ctx context.Context, name string, cs *changeSet, create bool) error {
	cctx, cancel := e.cleanupContext(ctx)
	defer cancel()
	_, csErr := e.cfn.DeleteChangeSet(cctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(cs.id)})
	var stErr error
	if create {
		_, stErr = e.cfn.DeleteStack(cctx, &cloudformation.DeleteStackInput{StackName: aws.String(cs.stackID)})
	}
	if csErr != nil || stErr != nil {
		left := "its change set"
		if create {
			left = "an empty stack in REVIEW_IN_PROGRESS with its change set"
		}
		return &InterruptedError{Done: []string{name + ": stopped before its change set ran; no resource changed, but " + left +
			" could not be removed (`mlflowctl up` reuses it, `mlflowctl down` removes it)"}}
	}
	return &InterruptedError{Done: []string{name + ": stopped before its change set ran; nothing changed"}}
}

func parameters(m map[string]string, previous []string) []types.Parameter {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.Parameter, 0, len(keys)+len(previous))
	for _, k := range keys {
		out = append(out, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(m[k])})
	}
	for _, k := range previous {
		out = append(out, types.Parameter{ParameterKey: aws.String(k), UsePreviousValue: aws.Bool(true)})
	}
	return out
}

func capabilities(cs []string) []types.Capability {
	out := make([]types.Capability, len(cs))
	for i, c := range cs {
		out[i] = types.Capability(c)
	}
	return out
}

func tagList(m map[string]string) []types.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.Tag, len(keys))
	for i, k := range keys {
		out[i] = types.Tag{Key: aws.String(k), Value: aws.String(m[k])}
	}
	return out
}

// changeSetName is unique per call and valid for CloudFormation.
func changeSetName() string {
	return fmt.Sprintf("mlflowctl-%d", time.Now().UnixNano())
}
