package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/cognito"
)

type usersSeedOpts struct {
	*usersBase
	domain string
	pw     passwordFlags

	items []seedItem
}

type seedItem struct {
	demo  cognito.DemoUser
	user  cognito.User
	found bool
	creds cognito.Credentials
}

func newUsersSeedCommand(b *usersBase) *cobra.Command {
	o := &usersSeedOpts{usersBase: b}
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Create the three demo users: an admin, a reader and a model approver",
		Long: `Create the AWS sample's demo users, each in its group:

  mlflow-admin@<domain>           admins
  mlflow-reader@<domain>          readers
  mlflow-model-approver@<domain>  model-approvers

The domain is cognito.emailDomain from the configuration, or --email-domain.
Passwords work as in "users add": --password-stdin (one password, for every
user created), --temporary (one generated per user, printed once), --invite,
or a hidden prompt per user on a terminal. Existing users keep their password
and are brought into their group, so running it again changes nothing. A user
an earlier run left waiting for its first password (FORCE_CHANGE_PASSWORD) gets
the password given to this run; without one, the output names the command that
sets it.

Each user in the JSON output is the object "users add" prints, without its
userPoolId.
JSON output (-o json):
  {
    "userPoolId": "us-east-1_AbCdEf123",
    "users": [
      {
        "email": "mlflow-admin@example.com",
        "username": "mlflow-admin@example.com",
        "created": true,
        "password": "permanent",
        "temporaryPassword": "only with --temporary, when the user was created",
        "groupsAdded": ["admins"],
        "groups": ["admins"],
        "status": "CONFIRMED",
        "enabled": true
      }
    ]
  }`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	cmd.Flags().StringVar(&o.domain, "email-domain", "", "e-mail domain of the demo users (default: cognito.emailDomain from the configuration)")
	o.pw.register(cmd.Flags(), true)
	return cmd
}

func (o *usersSeedOpts) Validate() error {
	if err := o.pw.validate(); err != nil {
		return err
	}
	if err := o.connect(); err != nil {
		return err
	}
	domain := o.domain
	if domain == "" {
		domain = o.cfg.Cognito.EmailDomain
	}
	var groups []string
	for _, d := range cognito.DemoUsers(domain) {
		email, err := cognito.NormalizeEmail(d.Email)
		if err != nil {
			return usageErrorf("--email-domain %q: %v", domain, err)
		}
		d.Email = email
		o.items = append(o.items, seedItem{demo: d})
		groups = append(groups, d.Group)
	}
	if _, err := o.dir.Pool.CheckGroups(groups); err != nil {
		return err
	}
	for i := range o.items {
		it := &o.items[i]
		var err error
		if it.user, it.found, err = o.dir.Lookup(o.g.ctx, it.demo.Email); err != nil {
			return err
		}
	}
	return nil
}

func (o *usersSeedOpts) Ask() error {
	src := &passwordSource{flags: o.pw, g: o.g, policy: o.dir.Pool.Policy}
	for i := range o.items {
		it := &o.items[i]
		if it.found && (!cognito.NeedsPassword(it.user) || !o.pw.given()) {
			continue // a user waiting for a password is finished when a password is given
		}
		var err error
		if it.creds, err = src.credentials(it.demo.Email); err != nil {
			return err
		}
	}
	return nil
}

func (o *usersSeedOpts) Execute() error {
	o.g.changing()
	changes := make([]userChange, 0, len(o.items))
	for _, it := range o.items {
		c, err := ensureUser(o.usersBase, it.demo.Email, []string{it.demo.Group}, it.user, it.found, it.creds)
		if err != nil {
			return err
		}
		changes = append(changes, c)
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, struct {
			UserPoolID string       `json:"userPoolId"`
			Users      []userChange `json:"users"`
		}{o.dir.Pool.ID, changes})
	}
	for _, c := range changes {
		if err := c.write(o.g.stdout); err != nil {
			return err
		}
	}
	return nil
}
