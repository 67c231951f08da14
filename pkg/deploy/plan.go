package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/pkg/plural"
)

// Action is what a deploy would do to a stack.
type Action string

const (
	ActionCreate   Action = "create"
	ActionUpdate   Action = "update"
	ActionNone     Action = "none"
	ActionRecreate Action = "recreate" // a failed first create is deleted and created again
	ActionBusy     Action = "busy"     // another operation runs; the deploy would wait for it
)

// ResourceChange is one resource change of a planned update.
type ResourceChange struct {
	Action      string `json:"action"` // Add, Modify, Remove, Import, Dynamic
	LogicalID   string `json:"logicalId"`
	Type        string `json:"type"`
	Label       string `json:"label"`
	Replacement string `json:"replacement,omitempty"` // True, False, Conditional
}

// StackPlan says what a deploy would do to one stack.
type StackPlan struct {
	Stack   string           `json:"stack"`
	Name    string           `json:"name"`
	Action  Action           `json:"action"`
	Status  string           `json:"status,omitempty"` // current status
	Note    string           `json:"note,omitempty"`
	Changes []ResourceChange `json:"changes,omitempty"`
}

// Plan reports, per stack in dependency order, whether a deploy would
// create, update (with the change set's resource changes) or leave it
// alone. It executes nothing: change sets it makes are deleted, and
// steps do not run (parameters imported from them keep the stack's
// current values).
func (e *Engine) Plan(ctx context.Context, d Deployment) ([]StackPlan, error) {
	ordered, err := d.order()
	if err != nil {
		return nil, err
	}
	current := Outputs{}
	var plans []StackPlan
	for _, s := range ordered {
		if s.step != nil {
			continue // steps run only in Deploy; what they output is unknown here
		}
		p, outs, err := e.planStack(ctx, d, s, current)
		if err != nil {
			return plans, err
		}
		current[s.ID] = outs
		plans = append(plans, p)
	}
	return plans, nil
}

func (e *Engine) planStack(ctx context.Context, d Deployment, s *Stack, current Outputs) (StackPlan, map[string]string, error) {
	name := d.StackName(s.ID)
	p := StackPlan{Stack: s.ID, Name: name}
	st, err := e.describe(ctx, name)
	if err != nil {
		return p, nil, err
	}
	if err := owned(st, d.Name); err != nil {
		return p, nil, err
	}
	if st != nil {
		p.Status = string(st.StackStatus)
	}
	switch {
	case st == nil || st.StackStatus == types.StackStatusReviewInProgress:
		p.Action, p.Changes = ActionCreate, additions(s.Template)
		return p, nil, nil
	case st.StackStatus == types.StackStatusRollbackComplete || st.StackStatus == types.StackStatusRollbackFailed:
		p.Action, p.Changes = ActionRecreate, additions(s.Template)
		p.Note = "its first create failed; it is deleted and created again"
		return p, nil, nil
	case !settled(string(st.StackStatus)):
		p.Action, p.Note = ActionBusy, "another operation is running; a deploy waits for it first"
		return p, stackOutputs(st), nil
	}
	return e.planUpdate(ctx, d, s, st, current, p)
}

func (e *Engine) planUpdate(ctx context.Context, d Deployment, s *Stack, st *types.Stack, current Outputs, p StackPlan) (StackPlan, map[string]string, error) {
	want, unknown := e.planned(d, s, st, current)
	if st.StackStatus == types.StackStatusUpdateRollbackFailed {
		// No change set can be made in this state.
		p.Action, p.Note = ActionUpdate, "its last rollback failed; a deploy continues the rollback, then updates it"
		return p, stackOutputs(st), nil
	}
	if !e.opts.Force && len(unknown) == 0 && stackTags(st)[TagHash] == want.hash && reusable(st.StackStatus) {
		p.Action = ActionNone
		return p, stackOutputs(st), nil
	}
	src, err := e.templateSource(ctx, want, current)
	if err != nil {
		return p, nil, err
	}
	cs, err := e.createChangeSet(ctx, s, want, src, false, unknown...)
	var empty *ChangeSetEmptyError
	if errors.As(err, &empty) {
		p.Action = ActionNone
		return p, stackOutputs(st), nil
	}
	if cs != nil {
		_, _ = e.cfn.DeleteChangeSet(context.WithoutCancel(ctx), &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(cs.id)})
	}
	if err != nil {
		return p, nil, err
	}
	p.Action = ActionUpdate
	p.Changes = resourceChanges(cs.changes, s.Template)
	return p, stackOutputs(st), nil
}

// planned is the stack's desired state as far as Plan can know it: the
// parameters in unknown (imported from steps, or from outputs not there
// yet) keep the values the stack has.
func (e *Engine) planned(d Deployment, s *Stack, st *types.Stack, current Outputs) (*desired, []string) {
	params := map[string]string{}
	for k, v := range s.Params {
		params[k] = v
	}
	var unknown []string
	for _, im := range s.Imports {
		if v, ok := current[im.FromStack][im.Output]; ok {
			params[im.Param] = v
		} else {
			unknown = append(unknown, im.Param)
		}
	}
	tags := e.tags(d, s)
	hash := configHash(s.Template, params, tags, s.Capabilities, s.HoldsData)
	tags[TagHash] = hash
	return &desired{name: d.StackName(s.ID), params: params, tags: tags, hash: hash, template: s.Template}, unknown
}

func additions(template []byte) []ResourceChange {
	rs, _ := Resources(template)
	out := make([]ResourceChange, len(rs))
	for i, r := range rs {
		out[i] = ResourceChange{Action: string(types.ChangeActionAdd), LogicalID: r.LogicalID, Type: r.Type, Label: r.Label}
	}
	return out
}

func resourceChanges(changes []types.Change, template []byte) []ResourceChange {
	labels := map[string]string{}
	if rs, err := Resources(template); err == nil {
		for _, r := range rs {
			labels[r.LogicalID] = r.Label
		}
	}
	var out []ResourceChange
	for _, c := range changes {
		rc := c.ResourceChange
		if rc == nil {
			continue
		}
		id := aws.ToString(rc.LogicalResourceId)
		label := labels[id]
		if label == "" {
			label = id
		}
		out = append(out, ResourceChange{
			Action: string(rc.Action), LogicalID: id, Type: aws.ToString(rc.ResourceType),
			Label: label, Replacement: string(rc.Replacement),
		})
	}
	return out
}

// String is a one-line summary, e.g. "update mlflow-api (2 changes)",
// "mlflow-bootstrap: no changes" (the live view's words, not "none
// mlflow-bootstrap").
func (p StackPlan) String() string {
	switch {
	case p.Action == ActionNone:
		return p.Name + ": no changes"
	case p.Action == ActionBusy:
		return p.Name + ": busy"
	case len(p.Changes) == 0:
		return fmt.Sprintf("%s %s", p.Action, p.Name)
	}
	return fmt.Sprintf("%s %s (%s)", p.Action, p.Name, plural.Count(len(p.Changes), "change"))
}
