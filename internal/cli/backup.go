package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/upgrade"
)

func newBackupCommand(g *globalOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "backup",
		Short: "Take a manual Aurora snapshot of the deployment's database, tagged, and wait for it",
		Long: `Take a manual snapshot of the deployment's Aurora cluster (the DBClusterId
output of the stack <name>-server), tagged with the deployment and the MLflow
version whose data it holds, and wait until it is available. Manual
snapshots do not expire; mlflowctl backups list shows them.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			d, err := upgrader(g)
			if err != nil {
				return err
			}
			b, err := d.u.Snapshot(g.ctx, d.dep, upgrade.KindManual, d.version, "")
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				return writeJSON(g.stdout, b)
			}
			_, err = fmt.Fprintf(g.stdout, "Snapshot %s of MLflow %s data: %s\n", b.ID, b.FromVersion, b.Status)
			return err
		},
	}
}

func newBackupsCommand(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{Use: "backups", Short: "List the deployment's database snapshots"}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the manual and pre-upgrade snapshots mlflowctl made, newest first",
		Long: `backups list prints the Aurora snapshots of the deployment's cluster that
mlflowctl tagged (backup, the pre-upgrade snapshot of up, the pre-rollback
snapshot of rollback), newest first: id, time, kind, MLflow version(s) and
status. A deployment without a database yet (no <name>-server stack) is an
error, exit 2.

-o json prints a list of {"id", "cluster", "status", "kind",
"mlflowVersion", "upgradedTo", "created"}; [] when there are none.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			d, err := upgrader(g)
			if err != nil {
				return err
			}
			dep := d.dep
			list, err := d.u.Backups(g.ctx, dep)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
				if list == nil {
					list = []upgrade.Backup{} // [], not null: `jq '.[]'` works on no snapshots
				}
				return writeJSON(g.stdout, list)
			}
			p := &printer{w: g.stdout}
			for _, b := range list {
				to := ""
				if b.ToVersion != "" {
					to = " → " + b.ToVersion
				}
				p.f("%s  %s  %-11s MLflow %s%s  %s\n", b.ID, b.Created.UTC().Format("2006-01-02 15:04"), b.Kind, b.FromVersion, to, b.Status)
			}
			if len(list) == 0 {
				p.f("No snapshots of %s yet: mlflowctl backup takes one.\n", dep.DBCluster)
			}
			return p.err
		},
	})
	return cmd
}

// deployed is a deployment's server stack as the upgrade commands need it.
type deployed struct {
	u       *upgrade.Upgrader
	dep     upgrade.Deployment
	version string // the MLflow version deployed
	cfg     config.Config
	clients *awsx.Clients
}

// upgrader finds the deployment's cluster, service and MLflow version in
// its server stack and returns the upgrader (progress on stderr).
func upgrader(g *globalOpts) (deployed, error) {
	cfg, err := g.validConfig()
	if err != nil {
		return deployed{}, err
	}
	c, err := g.clients(cfg)
	if err != nil {
		return deployed{}, err
	}
	st, found, err := stacks.Read(g.ctx, c.CloudFormation(), cfg.Name, stacks.Server)
	if err != nil {
		return deployed{}, err
	}
	if !found || st.Outputs[stacks.OutDBClusterID] == "" {
		return deployed{}, usageErrorf("deployment %q has no database yet (stack %s): run mlflowctl up first", cfg.Name, st.Name)
	}
	u := &upgrade.Upgrader{
		RDS: c.RDS(), ECS: c.ECS(), Logs: c.Logs(), CFN: c.CloudFormation(), Scaling: c.ApplicationAutoScaling(),
		Progress: func(l string) { _, _ = fmt.Fprintln(g.stderr, l) },
	}
	if c.Emulator().Endpoint != "" {
		u.Poll = time.Second // emulators answer at once
	}
	return deployed{u: u, dep: upgrade.DeploymentOf(cfg.Name, st.Outputs), version: st.Outputs[stacks.OutMLflowVersion], cfg: cfg, clients: c}, nil
}
