package cli

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

type statusOpts struct {
	noAsk
	g   *globalOpts
	cfg config.Config
	// clients stands in for the AWS clients (tests; environment.go).
	clients func() awsClients
}

func newStatusCommand(g *globalOpts) *cobra.Command {
	o := &statusOpts{g: g, clients: g.env.aws}
	return &cobra.Command{
		Use:   "status",
		Short: "Show what is deployed: each stack's state, the URLs and the MLflow version",
		Long: `status reads the deployment's stacks (<name>-bootstrap, -server, -api,
-services, -studio, -ui) and prints each one's CloudFormation status, then
the MLflow UI, tracking URI and Cognito login when the api stack has them.

The verdict is one of: deployed (every stack complete), partial (some are
missing or failed: it names them and the up command that finishes them), in
progress, partly deleted, or not deployed (no stack at all: check --name and
--region). It exits 0 for each; only a failed read of AWS exits 1.

-o json prints one document: deployment, region, deployed (true only when
every stack is complete), state, missing, failed, next, stacks (with their
outputs) and endpoints.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
}

func (o *statusOpts) Validate() error {
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	return err
}

// Execute reads and judges the deployment (app.Status) and prints it.
func (o *statusOpts) Execute() error {
	c, err := loadAWSClients(o.g, o.cfg, o.clients)
	if err != nil {
		return err
	}
	st := &app.Status{CFN: c.cfn, Config: o.cfg, Region: c.region, Up: sameTarget(o.g, "up"), Down: sameTarget(o.g, "down")}
	rep, err := st.Run(o.g.ctx)
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, rep)
	}
	if rep.State == app.StateNotDeployed {
		_, err := fmt.Fprintf(o.g.stdout, "Nothing is deployed as %q in %s: run `mlflowctl up` to deploy it (or check --name and --region).\n", rep.Deployment, c.region)
		return err
	}
	return printStatus(o.g, rep)
}

func printStatus(g *globalOpts, r app.StatusReport) error {
	p := &printer{w: g.stdout}
	p.f("Deployment %q in %s\n\n", r.Deployment, r.Region)
	if p.err != nil {
		return p.err
	}
	if err := printStackTable(g.stdout, r.Stacks, !g.noColor && isTerminal(g.stdout)); err != nil {
		return err
	}
	p.f("\n")
	printState(p, r)
	printEndpoints(p, r.Endpoints)
	return p.err
}

// printStackTable prints a row per stack. With colour the state is green
// (complete), red (failed, rolled back), yellow (in progress) or faint
// (not deployed); the table is aligned on the plain text first, so the
// escapes do not shift the columns.
func printStackTable(w io.Writer, rows []deploy.StackStatus, colour bool) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	t := &printer{w: tw}
	t.f("STACK\tSTATUS\tLAST UPDATE\tBY MLFLOWCTL\n")
	states := make([]string, len(rows))
	for i, s := range rows {
		status, updated := "not deployed", "-"
		if s.Exists {
			status = s.Status
			if s.Foreign {
				status += " (not this deployment's)"
			}
			if s.Reason != "" && s.Status != "" && !app.IsComplete(s.Status) {
				status += ": " + s.Reason
			}
			updated = s.Updated.UTC().Format(time.RFC3339)
		}
		states[i] = status
		t.f("%s\t%s\t%s\t%s\n", s.Name, status, updated, orPlaceholder(s.Version, "-"))
	}
	if t.err != nil {
		return t.err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	for i, status := range states {
		if colour {
			// the row's state follows its name and two spaces of padding
			name, rest, _ := strings.Cut(lines[i+1], status)
			lines[i+1] = name + stateColour(rows[i], status) + rest
		}
	}
	_, err := io.WriteString(w, strings.Join(lines, ""))
	return err
}

func stateColour(s deploy.StackStatus, text string) string {
	code := "2" // faint: not deployed
	switch {
	case !s.Exists:
	case strings.Contains(s.Status, "FAILED") || strings.Contains(s.Status, "ROLLBACK"):
		code = "31"
	case strings.HasSuffix(s.Status, "_IN_PROGRESS"):
		code = "33"
	case strings.HasSuffix(s.Status, "_COMPLETE"):
		code = "32"
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// printState says when the deployment is not whole, what is wrong and
// what finishes it (nothing when it is deployed).
func printState(p *printer, r app.StatusReport) {
	s := r.Verdict
	if s.State == app.StateDeployed {
		return
	}
	p.f("The deployment is %s.\n", s.State)
	if len(s.Missing) > 0 {
		p.f("  missing: %s\n", strings.Join(s.Missing, ", "))
	}
	if len(s.Failed) > 0 {
		var failed []string
		for _, st := range r.Stacks {
			if slices.Contains(s.Failed, st.Name) {
				failed = append(failed, st.Name+" ("+st.Status+")")
			}
		}
		p.f("  failed:  %s\n", strings.Join(failed, ", "))
	}
	if s.Next != "" {
		p.f("Next: %s.\n", s.Next)
	}
	p.f("\n")
}
