package app

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/upgrade"
	"github.com/mlflowctl/mlflowctl/pkg/versions"
)

// Up is one `mlflowctl up`: what it deploys, the clients it calls, the
// work of other packages it runs as steps, and the conversation with the
// user. Every function field is required (Run says which one is missing):
// a step is never skipped because nobody wired it in.
type Up struct {
	Config  config.Config
	Version string // mlflowctl's, for the stacks' version tag
	Region  string // named in the confirmation question
	// Force looks for changes through a change set even when a stack's
	// inputs are unchanged (--force).
	Force bool
	// Yes deletes a half-created stack after Ctrl-C without asking.
	Yes bool
	// DirectCalls creates and updates stacks without change sets (the
	// emulator setting; see deploy.Options.DirectCalls).
	DirectCalls bool
	// SkipVerify leaves the verify step out (--skip-verify).
	SkipVerify bool
	// Params are parameter values by stack ID that win over the rendered
	// ones (rollback: the server stack's restore parameters).
	Params map[string]map[string]string

	CFN deploy.CloudFormationAPI
	// Assets uploads to the assets bucket: the authorizer's package and
	// templates too large to send inline.
	Assets deploy.Uploader

	Steps UpSteps
	UI    UpUI
}

// UpSteps is the work of other packages that Up runs. Progress lines go
// to the step's row.
type UpSteps struct {
	// Preflight runs the account checks before the plan (doctor's); it
	// returns what to prepare once the user agreed (the service-linked
	// roles to create).
	Preflight func(ctx context.Context) (prepare func(context.Context) error, err error)
	// BuildImages builds (or finds) the server and gateway images, once
	// the bootstrap stack's repositories exist, and returns their URIs by
	// parameter name (stacks.ParamServerImage, stacks.ParamGatewayImage).
	BuildImages func(ctx context.Context, deps deploy.Outputs, progress func(string)) (map[string]string, error)
	// APIGatewayLogging makes sure the account and region have API
	// Gateway's CloudWatch role before the api stack, whose stage logs.
	APIGatewayLogging func(ctx context.Context, progress func(string)) error
	// PublishUI builds (or reuses) the patched UI and deploys it to the
	// Amplify branch of the ui stack.
	PublishUI func(ctx context.Context, all deploy.Outputs, progress func(string)) error
	// Verify runs the end-to-end checks of the deployed endpoints.
	Verify func(ctx context.Context, all deploy.Outputs, progress func(string)) error
	// Migrate, needed only when the configured MLflow version changes the
	// database schema, prepares the upgrade once the server stack and the
	// new image are there: the tagged snapshot (waited for), the service
	// at zero tasks, the schema migrated once by a one-off task with the
	// new image (pkg/upgrade). finish starts the new version's tasks once
	// the services stack runs it.
	Migrate func(ctx context.Context, move versions.Move, server map[string]string, image string, progress func(string)) (finish func(context.Context) error, err error)
}

// UpUI is the conversation with the user (the CLI's).
type UpUI struct {
	// ShowPlan prints what the deploy would change.
	ShowPlan func(plan []deploy.StackPlan) error
	// ShowMove, when set, prints what a change of MLflow version implies
	// (upgrade.PlanLines): the migration, its downtime, the snapshot, the
	// way back.
	ShowMove func(lines []string) error
	// Confirm asks whether to deploy; Ask answers the engine's questions
	// during the deploy (delete a half-created stack after Ctrl-C?).
	Confirm, Ask func(ctx context.Context, question string) (bool, error)
	// Changing marks the moment the command starts changing AWS.
	Changing func()
	// Interrupts turns Ctrl-C into a cancel, a second one into detach
	// (deploy.Interrupts); it starts only once the user said yes.
	Interrupts func(ctx context.Context) (context.Context, <-chan struct{}, func())
	// Watch shows the engine's progress until stop is called.
	Watch func(src *deploy.Engine) (stop func() error)
}

// UpResult is what Run did.
type UpResult struct {
	// Declined is set when the user said no: nothing changed.
	Declined bool
	Plan     []deploy.StackPlan
	// Outputs are every stack's and step's outputs after the deploy.
	Outputs deploy.Outputs
}

// Run deploys the deployment u.Config describes:
//
//  1. Preflight: the account checks; a failure stops here (exit 2).
//  2. Render: the stacks from the configuration (pkg/stacks: templates,
//     parameters, imports, dependencies), with the parameters an update
//     must pass again (a rolled-back database's) and u.Params.
//  3. Check the version move: a configured MLflow version the deployed
//     one cannot move to is refused before anything changes; a move that
//     changes the database schema adds the migrate and scale-back steps
//     (withMigration) and its plan lines.
//  4. Plan: the graph of stacks and steps (Graph); what CloudFormation
//     would change, with nothing executed and no step run.
//  5. Confirm: the plan is shown and the user asked.
//  6. Prepare: what preflight found missing (service-linked roles) is
//     created; the first change.
//  7. Deploy the graph, run by the engine: the stacks, and the steps
//     around them (images, authorizer upload, API Gateway logging role,
//     UI publish, verify), each as soon as what it needs is done.
//
// A verification failure comes back with the outputs, so the caller can
// show the endpoints and the failed hop.
func (u *Up) Run(ctx context.Context) (UpResult, error) {
	if err := u.check(); err != nil {
		return UpResult{}, err
	}
	prepare, err := u.Steps.Preflight(ctx)
	if err != nil {
		return UpResult{}, err
	}
	d, err := stacks.Render(u.Config)
	if err != nil {
		return UpResult{}, err
	}
	if err := u.keepParams(ctx, &d); err != nil {
		return UpResult{}, err
	}
	move, err := versionMove(ctx, u.CFN, u.Config)
	if err != nil {
		return UpResult{}, err
	}
	detach := make(chan struct{})
	eng := u.engine(detach)
	g := u.Graph(d, eng)
	if move.Migration {
		if g, err = u.withMigration(g, move, eng); err != nil {
			return UpResult{}, err
		}
	}
	plan, err := eng.Plan(ctx, g)
	if err != nil {
		return UpResult{}, err
	}
	res := UpResult{Plan: plan}
	if err := u.UI.ShowPlan(plan); err != nil {
		return res, err
	}
	if err := u.showMove(move); err != nil {
		return res, err
	}
	ok, err := u.UI.Confirm(ctx, fmt.Sprintf("Deploy %q to %s?", d.Name, u.Region))
	if err != nil || !ok {
		res.Declined = err == nil
		return res, err
	}
	ctx, stop := u.interrupts(ctx, detach)
	defer stop()
	u.UI.Changing()
	if err := prepare(ctx); err != nil {
		return res, err
	}
	res.Outputs, err = u.deploy(ctx, eng, g)
	return res, err
}

// keepParams adds the parameters every update must pass again, then
// u.Params. After a rollback the server stack's cluster is restored from
// a snapshot; left out, the restore parameters fall back to their default
// "" and CloudFormation would replace the restored cluster with a new,
// empty one (AWS::RDS::DBCluster, SnapshotIdentifier: "you must specify
// the same SnapshotIdentifier property for any future updates";
// upgrade.RestoreParams).
func (u *Up) keepParams(ctx context.Context, d *deploy.Deployment) error {
	keep, err := upgrade.RestoreParams(ctx, u.CFN, d.StackName(stacks.Server))
	if err != nil {
		return err
	}
	for i := range d.Stacks {
		s := &d.Stacks[i]
		s.Params = maps.Clone(s.Params)
		if s.Params == nil {
			s.Params = map[string]string{}
		}
		if s.ID == stacks.Server {
			for k, v := range keep {
				if v != "" {
					s.Params[k] = v
				}
			}
		}
		maps.Copy(s.Params, u.Params[s.ID])
	}
	return nil
}

// check names the first missing function: a step nobody wired in is a
// programming error, never a silent skip.
func (u *Up) check() error {
	for name, missing := range map[string]bool{
		"CFN": u.CFN == nil, "Assets": u.Assets == nil,
		"Steps.Preflight": u.Steps.Preflight == nil, "Steps.BuildImages": u.Steps.BuildImages == nil,
		"Steps.APIGatewayLogging": u.Steps.APIGatewayLogging == nil, "Steps.PublishUI": u.Steps.PublishUI == nil,
		"Steps.Verify": u.Steps.Verify == nil && !u.SkipVerify,
		"UI.ShowPlan":  u.UI.ShowPlan == nil, "UI.Confirm": u.UI.Confirm == nil, "UI.Ask": u.UI.Ask == nil,
		"UI.Changing": u.UI.Changing == nil, "UI.Interrupts": u.UI.Interrupts == nil, "UI.Watch": u.UI.Watch == nil,
	} {
		if missing {
			return fmt.Errorf("app.Up: %s is not set", name)
		}
	}
	return nil
}

func (u *Up) engine(detach <-chan struct{}) *deploy.Engine {
	return deploy.New(u.CFN, deploy.Options{
		Version:     u.Version,
		Force:       u.Force,
		Yes:         u.Yes,
		Confirm:     u.UI.Ask,
		Detach:      detach,
		Uploader:    u.Assets,
		AssetsFrom:  deploy.OutputRef{Stack: stacks.Bootstrap, Output: stacks.OutAssetsBucket},
		DirectCalls: u.DirectCalls,
	})
}

// interrupts starts Ctrl-C handling; a second Ctrl-C closes detach, which
// the engine was built with before the question (the plan needed it).
func (u *Up) interrupts(ctx context.Context, detach chan struct{}) (context.Context, func()) {
	ctx, second, stop := u.UI.Interrupts(ctx)
	done := make(chan struct{})
	go func() {
		select {
		case <-second:
			close(detach)
		case <-done:
		}
	}()
	return ctx, func() { close(done); stop() }
}

// deploy runs the graph under the progress view.
func (u *Up) deploy(ctx context.Context, eng *deploy.Engine, g deploy.Deployment) (deploy.Outputs, error) {
	stopView := u.UI.Watch(eng)
	outs, err := eng.Deploy(ctx, g)
	if verr := stopView(); err == nil {
		err = verr
	}
	var vf *verifyStepError
	if errors.As(err, &vf) {
		return outs, vf.err
	}
	return outs, err
}
