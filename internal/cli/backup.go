package cli

import (
	"fmt"

	"github.com/spf13/cobra"

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
			u, dep, version, err := upgrader(g)
			if err != nil {
				return err
			}
			b, err := u.Snapshot(g.ctx, dep, upgrade.KindManual, version, "")
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
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			u, dep, _, err := upgrader(g)
			if err != nil {
				return err
			}
			list, err := u.Backups(g.ctx, dep)
			if err != nil {
				return err
			}
			if g.jsonOutput() {
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

// upgrader finds the deployment's cluster and MLflow version in its server
// stack and returns the RDS-backed upgrader (progress on stderr).
func upgrader(g *globalOpts) (*upgrade.Upgrader, upgrade.Deployment, string, error) {
	cfg, err := g.validConfig()
	if err != nil {
		return nil, upgrade.Deployment{}, "", err
	}
	c, err := g.clients(cfg)
	if err != nil {
		return nil, upgrade.Deployment{}, "", err
	}
	st, found, err := stacks.Read(g.ctx, c.CloudFormation(), cfg.Name, stacks.Server)
	if err != nil {
		return nil, upgrade.Deployment{}, "", err
	}
	cluster := st.Outputs[stacks.OutDBClusterID]
	if !found || cluster == "" {
		return nil, upgrade.Deployment{}, "", usageErrorf("deployment %q has no database yet (stack %s): run mlflowctl up first", cfg.Name, st.Name)
	}
	u := &upgrade.Upgrader{RDS: c.RDS(), Progress: func(l string) { _, _ = fmt.Fprintln(g.stderr, l) }}
	return u, upgrade.Deployment{Name: cfg.Name, DBCluster: cluster}, st.Outputs[stacks.OutMLflowVersion], nil
}
