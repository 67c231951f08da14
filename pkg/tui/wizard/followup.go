package wizard

import (
	"context"
	"errors"
	"fmt"
	"slices"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// followUps offers to deploy the written file and then to add the first
// admin, each only when the function for it is wired in.
func followUps(ctx context.Context, o Options, res Result) (Result, error) {
	if o.RunUp == nil {
		return res, nil
	}
	cfg := res.Config
	up, err := confirm(ctx, o, "Run `mlflowctl up` now?",
		fmt.Sprintf("Deploys %s into %s; it takes 20-30 minutes and costs money from now on.", cfg.Name, cfg.Region), false)
	if err != nil || !up {
		_, _ = fmt.Fprintln(o.Out, "Deploy later with `mlflowctl up`.")
		if email := res.Answers.AdminEmail; email != "" {
			// The e-mail is not in the file: print it where it can be used.
			_, _ = fmt.Fprintf(o.Out, "Then add the first admin with `%s`.\n", AddAdminCommand(cfg, email))
		}
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("%w %s", ErrLeftAfterWrite, o.Path)
	}
	if err := o.RunUp(ctx, cfg); err != nil {
		return res, fmt.Errorf("up: %w", err)
	}
	res.Deployed = true
	email := res.Answers.AdminEmail
	if email == "" || o.AddAdmin == nil {
		return res, nil
	}
	add, err := confirm(ctx, o, "Add "+email+" as the first admin now?",
		"Creates the Cognito user in the admins group; the invitation e-mail carries a temporary password.", true)
	if err != nil || !add {
		_, _ = fmt.Fprintf(o.Out, "Add the admin later with `%s`.\n", AddAdminCommand(cfg, email))
		return res, err
	}
	if err := o.AddAdmin(ctx, cfg, email); err != nil {
		return res, fmt.Errorf("add admin %s: %w", email, err)
	}
	res.AdminAdded = true
	return res, nil
}

func confirm(ctx context.Context, o Options, title, desc string, def bool) (bool, error) {
	v := def
	if o.Accessible {
		err := prompter{ctx: ctx, in: o.In, w: o.Out}.ask(question{kind: qConfirm, title: title, desc: desc, flag: &v})
		var ended *InputEndedError
		switch {
		case errors.Is(err, ErrAborted):
			return false, fmt.Errorf("%w %s", ErrLeftAfterWrite, o.Path)
		case errors.As(err, &ended):
			// The file is written; with no more input, do nothing more.
			return false, nil
		}
		return v, err
	}
	f := huh.NewForm(huh.NewGroup(huh.NewConfirm().Title(title).Description(desc).Value(&v))).
		WithTheme(formTheme(o.NoColor)).WithAccessible(o.Accessible).WithInput(o.In).WithOutput(o.Out).
		WithProgramOptions(inputOutput(o)...)
	if err := f.RunWithContext(ctx); err != nil {
		if errors.Is(err, huh.ErrUserAborted) || errors.Is(err, context.Canceled) {
			return false, fmt.Errorf("%w %s", ErrLeftAfterWrite, o.Path)
		}
		return false, err
	}
	return v, nil
}

// inputOutput are the program options every tea program of the wizard
// shares: its terminal and, with --no-color, no colour.
func inputOutput(o Options) []tea.ProgramOption {
	opts := []tea.ProgramOption{tea.WithInput(o.In), tea.WithOutput(o.Out)}
	if o.NoColor {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	return opts
}

// AdminGroup is the first group with the admin class ("admins" by default).
func AdminGroup(cfg config.Config) string {
	for _, g := range cfg.Groups {
		if slices.Contains(g.Classes, "admin") {
			return g.Name
		}
	}
	return "admins"
}

// AddAdminCommand is the command that invites the first admin.
func AddAdminCommand(cfg config.Config, email string) string {
	return fmt.Sprintf("mlflowctl users add %s --group %s --invite", email, AdminGroup(cfg))
}
