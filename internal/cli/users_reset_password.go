package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/cognito"
)

type usersResetPasswordOpts struct {
	*usersBase
	email string
	pw    passwordFlags

	user  cognito.User
	creds cognito.Credentials
}

const usersResetPasswordJSON = `{
    "userPoolId": "us-east-1_AbCdEf123",
    "email": "alice@example.com",
    "password": "temporary",
    "temporaryPassword": "only with --temporary",
    "status": "CONFIRMED"
  }`

func newUsersResetPasswordCommand(b *usersBase) *cobra.Command {
	o := &usersResetPasswordOpts{usersBase: b}
	cmd := &cobra.Command{
		Use:   "reset-password EMAIL",
		Short: "Set a user's password (permanent, or temporary with --temporary)",
		Long: `Set a new password for an existing user: from --password-stdin, from a hidden
prompt on a terminal (asked twice), or --temporary (generated, printed once;
the user must change it at the next login). It is checked against the pool's
password policy first.

"password" is "permanent" or "temporary".
JSON output (-o json):
  ` + usersResetPasswordJSON,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.email = args[0]
			return run(o)
		},
	}
	o.pw.register(cmd.Flags(), false)
	return cmd
}

func (o *usersResetPasswordOpts) Validate() error {
	email, err := parseEmail(o.email)
	if err != nil {
		return err
	}
	o.email = email
	if err := o.pw.validate(); err != nil {
		return err
	}
	if err := o.connect(); err != nil {
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

func (o *usersResetPasswordOpts) Ask() error {
	src := &passwordSource{flags: o.pw, g: o.g, policy: o.dir.Pool.Policy}
	var err error
	o.creds, err = src.credentials(o.email)
	return err
}

func (o *usersResetPasswordOpts) Execute() error {
	o.g.changing()
	if err := o.dir.SetPassword(o.g.ctx, o.user, o.creds.Password, o.creds.Temporary); err != nil {
		return err
	}
	u, _, err := o.dir.Lookup(o.g.ctx, o.email)
	if err != nil {
		return err
	}
	report := struct {
		UserPoolID        string `json:"userPoolId"`
		Email             string `json:"email"`
		Password          string `json:"password"`
		TemporaryPassword string `json:"temporaryPassword,omitempty"`
		Status            string `json:"status"`
	}{UserPoolID: o.dir.Pool.ID, Email: o.email, Password: "permanent", Status: u.Status}
	if o.creds.Temporary {
		report.Password, report.TemporaryPassword = "temporary", o.creds.Password
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, report)
	}
	if !o.creds.Temporary {
		_, err = fmt.Fprintf(o.g.stdout, "Set a new password for %s.\n", o.email)
		return err
	}
	_, err = fmt.Fprintf(o.g.stdout, "Set a temporary password for %s: %s\n  (shown only now; the user must change it at the next login)\n",
		o.email, o.creds.Password)
	return err
}
