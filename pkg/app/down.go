package app

import (
	"context"
	"fmt"

	"github.com/mlflowctl/mlflowctl/pkg/teardown"
)

// Down is one `mlflowctl down`: the teardown of a deployment found by its
// tags (no configuration needed) and the conversation with the user.
type Down struct {
	Teardown *teardown.Teardown
	UI       DownUI
}

// DownUI is the conversation with the user (the CLI's).
type DownUI struct {
	// ShowPlan prints what will be deleted.
	ShowPlan func(teardown.Plan) error
	// Confirm asks whether to delete what the plan lists.
	Confirm func(ctx context.Context) (bool, error)
	// Changing marks the moment the command starts changing AWS.
	Changing func()
}

// DownResult is what Run did.
type DownResult struct {
	Plan teardown.Plan
	// Declined is set when the user said no: nothing changed.
	Declined bool
	// Ran is set once the teardown started; Result is then what it did.
	Ran    bool
	Result teardown.Result
}

// Run deletes the deployment:
//
//  1. Find: the plan, from the tags on the deployment's stacks (Studio
//     apps, stacks, buckets, images, snapshots, log groups); reads only.
//  2. Confirm: the plan is shown and the user asked; with nothing found,
//     Run ends here.
//  3. Studio: the apps of the deployment's profiles and of their spaces,
//     then the spaces and the profiles (pkg/sagemaker).
//  4. Stacks: one graph run by the engine, dependents first, each stack
//     after its buckets and repositories are emptied (its BeforeDelete).
//  5. Storage: pushed images, a created domain's EFS file system and NFS
//     security groups.
//  6. Sweep: the final snapshot and log groups (--keep-data keeps the
//     data and lists it).
//  7. Leftover scan: anything still tagged with the deployment is an error
//     (teardown.LeftoversError) naming it.
//
// Steps 3 to 7 are teardown.Run, which continues where a failed run
// stopped.
func (d *Down) Run(ctx context.Context) (DownResult, error) {
	if d.Teardown == nil || d.UI.ShowPlan == nil || d.UI.Confirm == nil || d.UI.Changing == nil {
		return DownResult{}, fmt.Errorf("app.Down: the teardown and every UI function must be set")
	}
	plan, err := d.Teardown.Plan(ctx)
	if err != nil {
		return DownResult{}, err
	}
	res := DownResult{Plan: plan}
	if err := d.UI.ShowPlan(plan); err != nil {
		return res, err
	}
	if plan.Empty() {
		return res, nil
	}
	ok, err := d.UI.Confirm(ctx)
	if err != nil || !ok {
		res.Declined = err == nil
		return res, err
	}
	d.UI.Changing()
	res.Ran = true
	res.Result, err = d.Teardown.Run(ctx, plan)
	return res, err
}
