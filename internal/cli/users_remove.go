package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/cognito"
)

type usersRemoveOpts struct {
	*usersBase
	email string

	user    cognito.User
	found   bool
	decided bool
}

const usersRemoveJSON = `{
    "userPoolId": "us-east-1_AbCdEf123",
    "email": "alice@example.com",
    "removed": true
  }`

func newUsersRemoveCommand(b *usersBase) *cobra.Command {
	o := &usersRemoveOpts{usersBase: b}
	return &cobra.Command{
		Use:   "remove EMAIL",
		Short: "Delete a user from the pool (asks first unless --yes)",
		Long: `Delete a user from the user pool. On a terminal it asks first; elsewhere it
needs --yes. A user who is not in the pool, or whom you chose to keep, is
reported with "removed": false and nothing changes.

JSON output (-o json):
  ` + usersRemoveJSON,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.email = args[0]
			return run(o)
		},
	}
}

func (o *usersRemoveOpts) Validate() error {
	email, err := parseEmail(o.email)
	if err != nil {
		return err
	}
	o.email = email
	if err := o.connect(); err != nil {
		return err
	}
	o.user, o.found, err = o.dir.Lookup(o.g.ctx, email)
	return err
}

func (o *usersRemoveOpts) Ask() error {
	if !o.found || o.g.yes {
		o.decided = true
		return nil
	}
	t, ok := terminalFor(o.g)
	if !ok {
		return usageErrorf("removing %s needs confirmation: pass --yes (no terminal to ask on)", o.email)
	}
	yes, err := confirm(o.g.ctx, t, fmt.Sprintf("Delete %s (groups: %s) from user pool %s?",
		o.email, list(o.user.Groups), o.dir.Pool.ID))
	o.decided = yes
	return err
}

func (o *usersRemoveOpts) Execute() error {
	removed := o.found && o.decided
	if removed {
		o.g.changing()
		if err := o.dir.Delete(o.g.ctx, o.user); err != nil {
			return err
		}
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, struct {
			UserPoolID string `json:"userPoolId"`
			Email      string `json:"email"`
			Removed    bool   `json:"removed"`
		}{o.dir.Pool.ID, o.email, removed})
	}
	if !o.decided {
		_, _ = fmt.Fprintf(o.g.stderr, "Kept %s.\n", o.email)
		return nil
	}
	if !o.found {
		_, err := fmt.Fprintf(o.g.stdout, "%s is not in user pool %s: nothing to remove.\n", o.email, o.dir.Pool.ID)
		return err
	}
	_, err := fmt.Fprintf(o.g.stdout, "Removed %s from user pool %s.\n", o.email, o.dir.Pool.ID)
	return err
}
