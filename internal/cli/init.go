package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mlflowctl/mlflowctl/pkg/awslookup"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/cognito"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/cost"
	"github.com/mlflowctl/mlflowctl/pkg/tui/wizard"
)

type initOpts struct {
	noAsk
	g          *globalOpts
	accessible bool
	base       config.Config
	// in is what the wizard reads; up's confirmation reads it too.
	in io.Reader
}

func newInitCommand(g *globalOpts) *cobra.Command {
	o := &initOpts{g: g}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Answer a few questions and get mlflowctl.yaml (interactive wizard)",
		Long: `init asks for the AWS profile and region, a deployment name, the MLflow
version, a size, the Studio domain, the AI gateway, MFA and the first admin,
shows a summary with what will be created, and writes mlflowctl.yaml (or
--config). It never replaces an existing file without asking. Esc goes back a
step; Ctrl-C leaves without writing anything.

Without a terminal use --accessible (or ACCESSIBLE=1): plain prompts, one
answer per line, where an empty line takes the default, a menu takes its
number or its value, and 0 (or an empty line) ends a multiple choice; input
that ends before every question has an answer is exit 2. Or write the default file with ` + "`mlflowctl config init`" + `.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	cmd.Flags().BoolVar(&o.accessible, "accessible", g.env.getenv("ACCESSIBLE") != "", "plain line prompts for screen readers and pipes (also ACCESSIBLE=1)")
	return cmd
}

// runBare is what `mlflowctl` alone does: help and a pointer to `init`,
// as gh, Copilot and eksctl do; starting the wizard unasked surprised
// users who wanted the list of commands. The wizard is `mlflowctl init`.
func runBare(_ *globalOpts) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		return bareHint(cmd)
	}
}

// interactive is true when a person can answer: stdin and stderr are terminals.
func (g *globalOpts) interactive() bool {
	return isTerminal(g.stdin) && isTerminal(g.stderr)
}

func isTerminal(v any) bool {
	f, ok := v.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

func (o *initOpts) Validate() error {
	if !o.accessible && !o.g.interactive() {
		return usageErrorf("mlflowctl init needs a terminal: run `mlflowctl config init` to write the default file, " +
			"or `mlflowctl init --accessible` to answer plain prompts (they read a pipe too)")
	}
	cfg, err := o.g.loadConfig()
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return fmt.Errorf("%w\nThe wizard starts from %s: fix it, or move it away to start from the defaults", err, o.g.configPath)
	}
	o.base = cfg
	return nil
}

func (o *initOpts) Execute() error {
	res, err := wizard.Run(o.g.ctx, o.wizardOptions())
	if errors.Is(err, wizard.ErrAborted) || errors.Is(err, wizard.ErrLeftAfterWrite) {
		return &interruptedError{msg: err.Error()}
	}
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, map[string]any{
			"path": o.g.configPath, "written": res.Written, "deployed": res.Deployed, "adminAdded": res.AdminAdded,
		})
	}
	return nil
}

func (o *initOpts) wizardOptions() wizard.Options {
	o.in = o.g.stdin
	if o.accessible {
		o.in = wizard.LineReader(o.g.ctx, o.in)
	}
	return wizard.Options{
		Base:   o.base,
		Path:   o.g.env.path(o.g.configPath),
		Lookup: awslookup.Source{Files: o.g.env.awsFiles(), Clients: o.lookupClients},

		EnvProfile: o.g.env.getenv("AWS_PROFILE"),
		EnvRegion:  o.g.envOr("AWS_REGION", o.g.env.getenv("AWS_DEFAULT_REGION")),
		In:         o.in,
		Out:        o.g.stderr,
		Accessible: o.accessible,
		NoColor:    o.g.noColor,
		Estimate:   idleCost,
		RunUp:      o.runUp,
		AddAdmin:   o.addAdmin,
	}
}

// lookupClients are the clients of the profile and region the wizard is
// on, under the command's emulator setting. No --verbose log or notes:
// the wizard owns the screen.
func (o *initOpts) lookupClients(ctx context.Context, profile, region string) (*awsx.Clients, error) {
	return awsx.Connect(ctx, awsx.Options{Profile: profile, Region: region, EndpointURL: o.g.endpointURL, Version: o.g.build.Version, Env: o.g.env.vars},
		awsx.EmulatorFor(o.g.endpointURL))
}

// idleCost is the estimate `up --dry-run` prints: the monthly cost while
// idle, from the same price table.
func idleCost(c config.Config) (float64, []string) {
	e := cost.Idle(c)
	lines := make([]string, 0, len(e.Lines)+1)
	for _, l := range e.Lines {
		lines = append(lines, fmt.Sprintf("%9s  %-38s %s", fmt.Sprintf("$%.2f", l.Monthly), l.Item, l.Quantity))
	}
	if e.PriceRegion != e.Region {
		lines = append(lines, fmt.Sprintf("(%s is not in the price table: %s prices)", e.Region, e.PriceRegion))
	}
	return e.Total, lines
}

// runUp deploys the written configuration as `mlflowctl up` does: plan,
// confirmation, progress display. The confirmation reads the wizard's input.
func (o *initOpts) runUp(_ context.Context, cfg config.Config) error {
	g := *o.g
	g.stdin = o.in
	up := newUpOpts(&g)
	up.cfg = cfg
	return up.executeDeploy()
}

// addAdmin creates the first admin after a deployment, as
// `mlflowctl users add EMAIL --group admins --invite` would: Cognito
// e-mails the invitation with a temporary password.
func (o *initOpts) addAdmin(ctx context.Context, cfg config.Config, email string) error {
	c, err := o.g.clients(cfg)
	if err != nil {
		return err
	}
	id, err := cognito.FindUserPoolID(ctx, c.CloudFormation(), cfg.Name)
	if err != nil {
		return err
	}
	client := c.Cognito()
	pool, err := cognito.LoadPool(ctx, client, id)
	if err != nil {
		return err
	}
	groups, err := pool.CheckGroups([]string{wizard.AdminGroup(cfg)})
	if err != nil {
		return err
	}
	b := &usersBase{g: o.g, cfg: cfg, dir: cognito.NewDirectory(client, pool)}
	user, found, err := b.dir.Lookup(ctx, email)
	if err != nil {
		return err
	}
	change, err := ensureUser(b, email, groups, user, found, cognito.Credentials{Invite: true})
	if err != nil {
		return err
	}
	return change.write(o.g.stderr)
}

// interruptedError is the user leaving on purpose: exit code 130.
type interruptedError struct{ msg string }

func (e *interruptedError) Error() string { return e.msg }

// ExitCode is the shell's code for an interrupted program.
func (e *interruptedError) ExitCode() int { return 130 }
