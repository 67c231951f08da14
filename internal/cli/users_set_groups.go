package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/cognito"
)

type usersSetGroupsOpts struct {
	noAsk
	*usersBase
	email    string
	groups   []string
	noGroups bool

	user cognito.User
}

const usersSetGroupsJSON = `{
    "userPoolId": "us-east-1_AbCdEf123",
    "email": "alice@example.com",
    "groupsAdded": ["model-approvers"],
    "groupsRemoved": ["admins"],
    "groups": ["model-approvers", "readers"]
  }`

func newUsersSetGroupsCommand(b *usersBase) *cobra.Command {
	o := &usersSetGroupsOpts{usersBase: b}
	cmd := &cobra.Command{
		Use:   "set-groups EMAIL --group GROUP [--group GROUP ...]",
		Short: "Make a user's groups exactly the given ones",
		Long: `Add the user to the given groups and remove them from every other group.
--no-groups removes the user from all groups (they can still log in, but
MLflow answers 403 to everything).

JSON output (-o json):
  ` + usersSetGroupsJSON,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.email = args[0]
			return run(o)
		},
	}
	cmd.Flags().StringSliceVarP(&o.groups, "group", "g", nil, "group the user should be in (repeat for several)")
	cmd.Flags().BoolVar(&o.noGroups, "no-groups", false, "remove the user from every group")
	return cmd
}

func (o *usersSetGroupsOpts) Validate() error {
	email, err := parseEmail(o.email)
	if err != nil {
		return err
	}
	o.email = email
	switch {
	case o.noGroups && len(o.groups) > 0:
		return usageErrorf("--no-groups and --group contradict each other: pass one of them")
	case !o.noGroups && len(o.groups) == 0:
		return usageErrorf("--group is required: name the groups %s should be in (or pass --no-groups)", email)
	}
	if err := o.connect(); err != nil {
		return err
	}
	if o.groups, err = o.dir.Pool.CheckGroups(o.groups); err != nil {
		return err
	}
	var found bool
	o.user, found, err = o.dir.Lookup(o.g.ctx, email)
	if err == nil && !found {
		return usageErrorf("%s is not in user pool %s: add them with `mlflowctl users add %s --group ...`",
			email, o.dir.Pool.ID, email)
	}
	return err
}

func (o *usersSetGroupsOpts) Execute() error {
	o.g.changing()
	added, removed, err := o.dir.SetGroups(o.g.ctx, &o.user, o.groups)
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, struct {
			UserPoolID    string   `json:"userPoolId"`
			Email         string   `json:"email"`
			GroupsAdded   []string `json:"groupsAdded"`
			GroupsRemoved []string `json:"groupsRemoved"`
			Groups        []string `json:"groups"`
		}{o.dir.Pool.ID, o.email, added, removed, o.user.Groups})
	}
	if len(added) == 0 && len(removed) == 0 {
		_, err = fmt.Fprintf(o.g.stdout, "%s is already in exactly %s: nothing changed.\n", o.email, list(o.user.Groups))
		return err
	}
	msg := o.email + ":"
	if len(added) > 0 {
		msg += " added to " + list(added) + ";"
	}
	if len(removed) > 0 {
		msg += " removed from " + list(removed) + ";"
	}
	_, err = fmt.Fprintf(o.g.stdout, "%s now in %s.\n", msg, list(o.user.Groups))
	return err
}
