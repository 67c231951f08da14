package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/cognito"
)

type usersAddOpts struct {
	*usersBase
	email  string
	groups []string
	pw     passwordFlags

	user  cognito.User
	found bool
	creds cognito.Credentials
}

const usersAddJSON = `{
    "userPoolId": "us-east-1_AbCdEf123",
    "email": "alice@example.com",
    "username": "alice@example.com",
    "created": true,
    "password": "permanent",
    "temporaryPassword": "only with --temporary, when the user was created",
    "groupsAdded": ["readers"],
    "groups": ["readers"],
    "status": "CONFIRMED",
    "enabled": true
  }`

func newUsersAddCommand(b *usersBase) *cobra.Command {
	o := &usersAddOpts{usersBase: b}
	cmd := &cobra.Command{
		Use:   "add EMAIL --group GROUP [--group GROUP ...]",
		Short: "Create a user (or bring an existing one into the groups)",
		Long: `Create a Cognito user with a verified e-mail, set the password and add the
groups. No invitation e-mail is sent unless --invite.

The password comes from --password-stdin, from --temporary (generated, printed
once, changed by the user at first login), from --invite (Cognito e-mails a
temporary one) or, on a terminal, from a hidden prompt asked twice. It is
checked against the pool's password policy before anything is written.

An existing user keeps their password and is added to any group they are not
yet in; the output says what changed. Run it again and nothing changes. A user
still waiting for its first password (FORCE_CHANGE_PASSWORD: an earlier run
stopped half-way, or an invitation) gets the password given with
--password-stdin or --temporary (an invitation is not sent again; the output
names the command that sets a password).

"password" is "permanent", "temporary", "invitation" or "unchanged".
JSON output (-o json):
  ` + usersAddJSON,
		Example: `  mlflowctl users add alice@example.com --group readers
  printf '%s\n' "$PW" | mlflowctl users add bob@example.com --group admins --password-stdin
  mlflowctl users add carol@example.com --group model-approvers --temporary`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.email = args[0]
			return run(o)
		},
	}
	cmd.Flags().StringSliceVarP(&o.groups, "group", "g", nil, "group to add the user to (repeat for several)")
	o.pw.register(cmd.Flags(), true)
	return cmd
}

func (o *usersAddOpts) Validate() error {
	email, err := parseEmail(o.email)
	if err != nil {
		return err
	}
	o.email = email
	if len(o.groups) == 0 {
		return usageErrorf("--group is required: name at least one group for %s", email)
	}
	if err := o.pw.validate(); err != nil {
		return err
	}
	if err := o.connect(); err != nil {
		return err
	}
	if o.groups, err = o.dir.Pool.CheckGroups(o.groups); err != nil {
		return err
	}
	o.user, o.found, err = o.dir.Lookup(o.g.ctx, email)
	return err
}

func (o *usersAddOpts) Ask() error {
	if o.found && cognito.NeedsPassword(o.user) && o.pw.given() {
		// An earlier run stopped before the password was set: finish it.
		src := &passwordSource{flags: o.pw, g: o.g, policy: o.dir.Pool.Policy}
		var err error
		o.creds, err = src.credentials(o.email)
		return err
	}
	if o.found {
		if o.pw.given() {
			_, _ = fmt.Fprintf(o.g.stderr, "%s already exists: password left unchanged (use `mlflowctl users reset-password`).\n", o.email)
		}
		return nil
	}
	src := &passwordSource{flags: o.pw, g: o.g, policy: o.dir.Pool.Policy}
	var err error
	o.creds, err = src.credentials(o.email)
	return err
}

func (o *usersAddOpts) Execute() error {
	o.g.changing()
	change, err := ensureUser(o.usersBase, o.email, o.groups, o.user, o.found, o.creds)
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, struct {
			UserPoolID string `json:"userPoolId"`
			userChange
		}{o.dir.Pool.ID, change})
	}
	return change.write(o.g.stdout)
}

// userChange is what add and seed did to one user.
type userChange struct {
	Email             string `json:"email"`
	Username          string `json:"username"`
	Created           bool   `json:"created"`
	Password          string `json:"password"`
	TemporaryPassword string `json:"temporaryPassword,omitempty"`
	// Finished: the user existed still waiting for its first password
	// (an earlier run stopped half-way, or an invitation) and this run
	// set it. Next: the command that gives such a user a password when
	// this run had none to give.
	Finished    bool     `json:"finished,omitempty"`
	Next        string   `json:"next,omitempty"`
	GroupsAdded []string `json:"groupsAdded"`
	Groups      []string `json:"groups"`
	Status      string   `json:"status"`
	Enabled     bool     `json:"enabled"`

	invited bool
}

// ensureUser creates the user if needed, then adds the missing groups.
func ensureUser(b *usersBase, email string, groups []string, u cognito.User, found bool, c cognito.Credentials) (userChange, error) {
	change := userChange{Email: email, Password: "unchanged"}
	// An invitation is not sent again: the user got one when created.
	hasCreds := c.Password != ""
	switch {
	case !found:
		var err error
		if u, err = b.dir.Create(b.g.ctx, email, c); err != nil {
			return change, err
		}
		change.Created = true
	case cognito.NeedsPassword(u) && hasCreds:
		if err := b.dir.Finish(b.g.ctx, &u, c); err != nil {
			return change, err
		}
		change.Finished = true
	case cognito.NeedsPassword(u):
		change.Next = fmt.Sprintf("mlflowctl users reset-password %s%s --temporary", email, b.target())
	}
	if change.Created || change.Finished {
		change.Password = passwordKind(c)
		change.invited = c.Invite
		if c.Temporary {
			change.TemporaryPassword = c.Password
		}
	}
	added, err := b.dir.AddToGroups(b.g.ctx, &u, groups)
	if err != nil {
		return change, err
	}
	change.Username, change.GroupsAdded, change.Groups = u.Username, added, u.Groups
	change.Status, change.Enabled = u.Status, u.Enabled
	return change, nil
}

func passwordKind(c cognito.Credentials) string {
	switch {
	case c.Password == "":
		return "invitation"
	case c.Temporary:
		return "temporary"
	}
	return "permanent"
}

func (c userChange) write(w io.Writer) error {
	var b strings.Builder
	switch {
	case c.Created:
		fmt.Fprintf(&b, "Created %s (%s) in %s.\n", c.Email, c.Status, list(c.Groups))
	case c.Finished:
		fmt.Fprintf(&b, "%s was still waiting for its first password (FORCE_CHANGE_PASSWORD): %s password set (%s); in %s.\n",
			c.Email, c.Password, c.Status, list(c.Groups))
	case len(c.GroupsAdded) > 0:
		fmt.Fprintf(&b, "%s already exists: added to %s; now in %s.\n", c.Email, list(c.GroupsAdded), list(c.Groups))
	default:
		fmt.Fprintf(&b, "%s already exists and is in %s: nothing changed.\n", c.Email, list(c.Groups))
	}
	if c.Next != "" {
		fmt.Fprintf(&b, "  %s still has the temporary password it was created with (FORCE_CHANGE_PASSWORD).\n"+
			"  If nobody has it, run: %s\n  (or run this command again with --password-stdin)\n", c.Email, c.Next)
	}
	if c.TemporaryPassword != "" {
		fmt.Fprintf(&b, "  Temporary password for %s: %s\n  (shown only now; the user must change it at first login)\n",
			c.Email, c.TemporaryPassword)
	}
	if c.invited {
		fmt.Fprintf(&b, "  Cognito e-mailed %s an invitation with a temporary password.\n", c.Email)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func list(items []string) string {
	if len(items) == 0 {
		return "no group"
	}
	return strings.Join(items, ", ")
}
