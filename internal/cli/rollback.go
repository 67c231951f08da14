package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/upgrade"
)

type rollbackOpts struct {
	g        *globalOpts
	snapshot string

	cfg     config.Config
	clients *awsx.Clients
	u       *upgrade.Upgrader
	dep     upgrade.Deployment
	plan    *upgrade.RollbackPlan
	decided bool
}

// rollbackResult is what rollback prints with -o json.
type rollbackResult struct {
	Deployment  string         `json:"deployment"`
	From        string         `json:"from"`
	Restored    upgrade.Target `json:"restored"`
	PreRollback string         `json:"preRollbackSnapshot"`
}

func newRollbackCommand(g *globalOpts) *cobra.Command {
	o := &rollbackOpts{g: g}
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Undo an MLflow upgrade: restore the pre-upgrade snapshot and run the MLflow version that wrote it",
		Long: `rollback puts the deployment back to the data and the MLflow version of a
snapshot: by default the newest snapshot an upgrade of this deployment took
(mlflowctl backups list shows them), or --snapshot.

It shows the plan and asks (unless --yes), then: the tracking server goes to
0 tasks, a snapshot of the current database is taken (so the rollback itself
can be undone), and the server stack is updated with the snapshot as the
cluster's SnapshotIdentifier: CloudFormation restores it into a new cluster
and replaces the current one, and every stack is deployed for the
snapshot's MLflow version. The cluster stays CloudFormation's, and a stack
policy keeps a later update from replacing it with an empty one.

If the restore fails, CloudFormation rolls the stack back and the current
database serves again.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	cmd.Flags().StringVar(&o.snapshot, "snapshot", "", "snapshot to restore (default: the newest pre-upgrade snapshot of the deployment)")
	return cmd
}

// Validate finds the deployment and checks the snapshot; it only reads.
func (o *rollbackOpts) Validate() error {
	d, err := upgrader(o.g)
	if err != nil {
		return err
	}
	o.u, o.dep, o.cfg, o.clients = d.u, d.dep, d.cfg, d.clients
	o.plan, err = d.u.PlanRollback(o.g.ctx, d.dep, d.version, o.snapshot)
	var in *upgrade.InputError
	if errors.As(err, &in) {
		return usageErrorf("%v", in)
	}
	return err
}

func (o *rollbackOpts) Ask() error {
	p := &printer{w: o.g.stderr}
	for _, l := range o.plan.Lines {
		p.f("%s\n", l)
	}
	if p.err != nil || o.g.yes {
		o.decided = p.err == nil
		return p.err
	}
	t, ok := terminalFor(o.g)
	if !ok {
		return usageErrorf("rolling back deployment %q needs confirmation: pass --yes (no terminal to ask on)", o.dep.Name)
	}
	var err error
	o.decided, err = confirm(o.g.ctx, t, fmt.Sprintf("Roll back deployment %q to snapshot %s?", o.dep.Name, o.plan.Snapshot.ID))
	return err
}

func (o *rollbackOpts) Execute() error {
	if !o.decided {
		_, err := fmt.Fprintln(o.g.stderr, "Nothing changed.")
		return err
	}
	o.g.changing()
	redeploy := o.g.env.redeploy
	if redeploy == nil {
		redeploy = o.upForVersion
	}
	keep, err := o.u.Rollback(o.g.ctx, o.dep, o.plan, redeploy)
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, rollbackResult{Deployment: o.dep.Name, From: o.plan.From, Restored: o.plan.Target, PreRollback: keep.ID})
	}
	p := &printer{w: o.g.stdout}
	p.f("Rolled back %s: MLflow %s serves the data of %s (cluster %s).\n", o.dep.Name, o.plan.Target.Version, o.plan.Snapshot.ID, o.plan.Target.Cluster)
	p.f("The data as it was before the rollback is in snapshot %s.\n", keep.ID)
	if o.cfg.MLflowVersion != o.plan.Target.Version {
		p.f("Next: set mlflowVersion: %s in mlflowctl.yaml; with %s the next mlflowctl up upgrades again.\n", o.plan.Target.Version, o.cfg.MLflowVersion)
	}
	return p.err
}

// upForVersion deploys every stack for the snapshot's MLflow version, as
// up would with that mlflowVersion (the same recipe, app.Up), the server
// stack with the restore's parameters. Images are content-addressed, so
// the old version's images are found in ECR, not rebuilt. The user agreed
// to the rollback's plan already, so up asks nothing.
func (o *rollbackOpts) upForVersion(ctx context.Context, t upgrade.Target) error {
	cfg := o.cfg
	cfg.MLflowVersion = t.Version
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("mlflowctl.yaml with mlflowVersion %s: %w", t.Version, err)
	}
	uo := newUpOpts(o.g)
	uo.cfg, uo.skipPreflight, uo.skipVerify, uo.noTUI = cfg, true, true, true
	c := o.clients
	u := uo.newUp(awsClients{cfn: c.CloudFormation(), s3: c.S3(), region: c.Region(), emulator: c.Emulator(), all: c})
	u.Yes = true
	u.Params = map[string]map[string]string{stacks.Server: t.Params()}
	u.UI.ShowPlan = func([]deploy.StackPlan) error { return nil }
	u.UI.Confirm = func(context.Context, string) (bool, error) { return true, nil }
	u.UI.Changing = func() {}
	u.UI.Interrupts = func(ctx context.Context) (context.Context, <-chan struct{}, func()) { return ctx, nil, func() {} }
	_, err := u.Run(ctx)
	return err
}
