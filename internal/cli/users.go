package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/cognito"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// usersBase is what every users subcommand shares: the pool to manage
// and, once connected, its directory.
type usersBase struct {
	g      *globalOpts
	poolID string
	cfg    config.Config
	dir    *cognito.Directory
}

func newUsersCommand(g *globalOpts) *cobra.Command {
	b := &usersBase{g: g}
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Add, list, regroup and remove the Cognito users who log in to MLflow",
		Long: `Manage the people who log in to the MLflow UI. Their Cognito groups give
their rights (admins: everything; readers: read; model-approvers: read and
the model registry).

The user pool is the UserPoolId output of the deployment's api stack
(<name>-api); --user-pool-id names a pool directly. Passwords are checked
against the pool's own password policy before anything changes, and are
never echoed or logged.`,
	}
	cmd.PersistentFlags().StringVar(&b.poolID, "user-pool-id", "",
		"user pool to manage (default: the UserPoolId output of the stack <name>-api)")
	cmd.AddCommand(
		newUsersAddCommand(b),
		newUsersListCommand(b),
		newUsersRemoveCommand(b),
		newUsersSetGroupsCommand(b),
		newUsersResetPasswordCommand(b),
		newUsersSeedCommand(b),
	)
	return cmd
}

// connect loads the configuration, finds the user pool and reads its
// password policy and groups.
func (b *usersBase) connect() error {
	cfg, err := b.g.validConfig()
	if err != nil {
		return err
	}
	b.cfg = cfg
	c, err := b.g.clients(cfg)
	if err != nil {
		return err
	}
	id := b.poolID
	source := "--user-pool-id"
	if id == "" {
		if id, err = cognito.FindUserPoolID(b.g.ctx, c.CloudFormation(), cfg.Name); err != nil {
			return err
		}
		source = "stack " + cognito.APIStackName(cfg.Name)
	}
	client := c.Cognito()
	pool, err := cognito.LoadPool(b.g.ctx, client, id)
	if err != nil {
		return err
	}
	b.dir = cognito.NewDirectory(client, pool)
	b.logf("User pool %s (from %s), groups: %v", pool.ID, source, pool.Groups)
	return nil
}

// logf writes progress to stderr with --verbose.
func (b *usersBase) logf(format string, args ...any) {
	if b.g.verbose {
		_, _ = fmt.Fprintf(b.g.stderr, format+"\n", args...)
	}
}

// target is the flags a follow-up users command needs to reach the same
// pool.
func (b *usersBase) target() string {
	switch {
	case b.poolID != "":
		return " --user-pool-id " + b.poolID
	case b.cfg.Name != "" && b.cfg.Name != "mlflow":
		return " --name " + b.cfg.Name
	}
	return ""
}

// parseEmail checks an e-mail argument; a bad one is a usage error.
func parseEmail(arg string) (string, error) {
	email, err := cognito.NormalizeEmail(arg)
	if err != nil {
		return "", usageErrorf("EMAIL: %v", err)
	}
	return email, nil
}
