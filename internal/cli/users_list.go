package cli

import (
	"bytes"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/cognito"
	"github.com/mlflowctl/mlflowctl/pkg/plural"
)

type usersListOpts struct {
	noAsk
	*usersBase
}

const usersListJSON = `{
    "userPoolId": "us-east-1_AbCdEf123",
    "users": [
      {
        "username": "alice@example.com",
        "email": "alice@example.com",
        "status": "CONFIRMED",
        "enabled": true,
        "groups": ["admins", "readers"],
        "created": "2026-01-02T15:04:05Z"
      }
    ]
  }`

func newUsersListCommand(b *usersBase) *cobra.Command {
	o := &usersListOpts{usersBase: b}
	return &cobra.Command{
		Use:   "list",
		Short: "List every user with their groups, status and whether they are enabled",
		Long: `List every user of the pool (all pages), sorted by e-mail, with their groups,
Cognito status (CONFIRMED, FORCE_CHANGE_PASSWORD, ...) and whether the
account is enabled.

JSON output (-o json):
  ` + usersListJSON,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
}

func (o *usersListOpts) Validate() error { return o.connect() }

func (o *usersListOpts) Execute() error {
	users, err := o.dir.List(o.g.ctx)
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		if users == nil {
			users = []cognito.User{}
		}
		return writeJSON(o.g.stdout, struct {
			UserPoolID string         `json:"userPoolId"`
			Users      []cognito.User `json:"users"`
		}{o.dir.Pool.ID, users})
	}
	_, _ = fmt.Fprintf(o.g.stderr, "%s in pool %s\n", plural.Count(len(users), "user"), o.dir.Pool.ID)
	if len(users) == 0 {
		return nil
	}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "EMAIL\tGROUPS\tSTATUS\tENABLED")
	for _, u := range users {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Email, listOrDash(u.Groups), u.Status, yesNo(u.Enabled))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = table.WriteTo(o.g.stdout)
	return err
}

func listOrDash(items []string) string {
	if len(items) == 0 {
		return "-"
	}
	return list(items)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
