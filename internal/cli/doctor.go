package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/plural"
	"github.com/mlflowctl/mlflowctl/pkg/preflight"
)

type doctorOpts struct {
	noAsk
	g           *globalOpts
	createRoles bool
	cfg         config.Config

	// The test seams (environment.go): nil means the real clients.
	clients  func() preflight.Clients
	roleWait preflight.RoleWait
}

func newDoctorCommand(g *globalOpts) *cobra.Command {
	o := &doctorOpts{g: g, clients: g.env.preflight, roleWait: g.env.roleWaitOrDefault()}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the AWS account and the configuration before any change (up runs it first)",
		Long: `doctor checks, with read-only calls, everything that would make up fail
half-way: credentials and region, the ECS service-linked role, the quotas a
new deployment consumes (VPCs, Elastic IPs, NAT gateways, Fargate vCPUs,
Aurora clusters), the Aurora engine version and capacity range, bucket names
and the Cognito domain prefix, an existing Studio domain's auth mode and
profile names, Bedrock model access for each gateway endpoint, and CodeBuild.

It prints one line per check with its fix and exits 2 when a check fails.
It changes nothing, unless --create-roles asks it to create the missing
service-linked roles (up creates them anyway, after its confirmation).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	cmd.Flags().BoolVar(&o.createRoles, "create-roles", false, "create the missing service-linked roles and wait until IAM lists them")
	return cmd
}

func (o *doctorOpts) Validate() error {
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	return err
}

func (o *doctorOpts) Execute() error {
	clients, err := o.preflightClients()
	if err != nil {
		return err
	}
	rep := preflight.Run(o.g.ctx, o.cfg, clients)
	if o.g.jsonOutput() {
		err = writeJSON(o.g.stdout, rep)
	} else {
		err = printPreflight(o.g.stdout, rep)
	}
	if err != nil {
		return err
	}
	if rep.Failed() {
		return &preflightError{rep: rep}
	}
	if o.createRoles && len(rep.MissingRoles()) > 0 {
		return createRoles(o.g.ctx, o.g.stderr, clients.IAM, rep.MissingRoles(), o.roleWait)
	}
	return nil
}

func (o *doctorOpts) preflightClients() (preflight.Clients, error) {
	if o.clients != nil {
		return o.clients(), nil
	}
	c, err := o.g.clients(o.cfg)
	if err != nil {
		return preflight.Clients{}, err
	}
	return preflight.NewClients(c), nil
}

// createRoles creates the missing service-linked roles and waits (up to
// wait) until IAM lists them.
func createRoles(ctx context.Context, w io.Writer, c preflight.IAMAPI, services []string, wait preflight.RoleWait) error {
	if _, err := fmt.Fprintf(w, "Creating the service-linked roles of %s and waiting until IAM lists them...\n", strings.Join(services, ", ")); err != nil {
		return err
	}
	return preflight.EnsureServiceLinkedRoles(ctx, c, services, wait)
}

// preflightError: a check failed before any change (exit 2); the table
// already named each problem and its fix.
type preflightError struct{ rep preflight.Report }

func (e *preflightError) Error() string {
	var failed []string
	for _, r := range e.rep.Results {
		if r.Status == preflight.Fail {
			failed = append(failed, r.Check)
		}
	}
	return fmt.Sprintf("preflight failed (%s); nothing was changed: fix the above, or run with --skip-preflight", strings.Join(failed, "; "))
}

// ExitCode: nothing changed, as for bad input.
func (e *preflightError) ExitCode() int { return 2 }

// printPreflight prints the checks as a table: check, then result, with
// the fix under the result. The result is the last column, so no row is
// padded to the longest detail (a raw SDK error can be 300 characters).
func printPreflight(w io.Writer, rep preflight.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := &printer{w: tw}
	p.f("CHECK\tRESULT\n")
	for _, r := range rep.Results {
		p.f("%s\t%s: %s\n", r.Check, strings.ToUpper(string(r.Status)), r.Detail)
		if r.Fix != "" {
			p.f("\tfix: %s\n", r.Fix)
		}
	}
	if p.err != nil {
		return p.err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	counts := map[preflight.Status]int{}
	for _, r := range rep.Results {
		counts[r.Status]++
	}
	_, err := fmt.Fprintf(w, "\n%s: %d ok, %d failed, %s, %d fixed by up, %d skipped\n", plural.Count(len(rep.Results), "check"),
		counts[preflight.OK], counts[preflight.Fail], plural.Count(counts[preflight.Warn], "warning"), counts[preflight.Fixable], counts[preflight.Skipped])
	return err
}

// upPreflight is up's first step: the same checks, shown only when one
// needs attention; a failure stops up before its plan. It returns the
// service-linked roles to create once the user agreed.
func (o *upOpts) upPreflight(ctx context.Context, real preflight.Clients) ([]string, error) {
	if o.skipPreflight {
		return nil, nil
	}
	clients := real
	if o.preflights != nil {
		clients = o.preflights()
	}
	rep := preflight.Run(ctx, o.cfg, clients)
	o.preflightIAM = clients.IAM
	quiet := !rep.Failed() && !hasStatus(rep, preflight.Warn) && len(rep.MissingRoles()) == 0
	if !quiet {
		if err := printPreflight(o.g.stderr, rep); err != nil {
			return nil, err
		}
	}
	if rep.Failed() {
		return nil, &preflightError{rep: rep}
	}
	return rep.MissingRoles(), nil
}

// upCreateRoles runs after up's confirmation: it is up's first change.
func (o *upOpts) upCreateRoles(ctx context.Context, services []string) error {
	if len(services) == 0 {
		return nil
	}
	return createRoles(ctx, o.g.stderr, o.preflightIAM, services, o.roleWait)
}

func hasStatus(rep preflight.Report, s preflight.Status) bool {
	for _, r := range rep.Results {
		if r.Status == s {
			return true
		}
	}
	return false
}
