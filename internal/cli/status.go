package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
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
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return run(o) },
	}
}

// statusReport is what status prints with -o json.
type statusReport struct {
	Deployment string               `json:"deployment"`
	Region     string               `json:"region"`
	Deployed   bool                 `json:"deployed"`
	Stacks     []deploy.StackStatus `json:"stacks"`
	Endpoints  stacks.Endpoints     `json:"endpoints"`
}

func (o *statusOpts) Validate() error {
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	return err
}

func (o *statusOpts) Execute() error {
	c, err := loadAWSClients(o.g, o.cfg, o.clients)
	if err != nil {
		return err
	}
	d := stacks.Skeleton(o.cfg.Name)
	st, err := deploy.New(c.cfn, deploy.Options{}).Status(o.g.ctx, d)
	if err != nil {
		return fmt.Errorf("read the stacks of %q in %s: %w", d.Name, c.region, err)
	}
	rep := statusReport{Deployment: d.Name, Region: c.region, Stacks: st}
	outs := deploy.Outputs{}
	for _, s := range st {
		if s.Exists && !s.Foreign {
			rep.Deployed = true
			outs[s.Stack] = s.Outputs
		}
	}
	rep.Endpoints = stacks.EndpointsFrom(outs)
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, rep)
	}
	if !rep.Deployed {
		_, err := fmt.Fprintf(o.g.stdout, "Nothing is deployed as %q in %s: run `mlflowctl up` to deploy it (or check --name and --region).\n", d.Name, c.region)
		return err
	}
	return printStatus(o.g, rep)
}

func printStatus(g *globalOpts, r statusReport) error {
	p := &printer{w: g.stdout}
	p.f("Deployment %q in %s\n\n", r.Deployment, r.Region)
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	t := &printer{w: tw}
	t.f("STACK\tSTATUS\tLAST UPDATE\tBY MLFLOWCTL\n")
	for _, s := range r.Stacks {
		status, updated := "not deployed", "-"
		if s.Exists {
			status = s.Status
			if s.Foreign {
				status += " (not this deployment's)"
			}
			if s.Reason != "" && s.Status != "" && !isComplete(s.Status) {
				status += ": " + s.Reason
			}
			updated = s.Updated.UTC().Format(time.RFC3339)
		}
		t.f("%s\t%s\t%s\t%s\n", s.Name, status, updated, orPlaceholder(s.Version, "-"))
	}
	if t.err != nil {
		return t.err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	p.f("\n")
	printEndpoints(p, r.Endpoints)
	return p.err
}

func isComplete(status string) bool {
	return status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE"
}
