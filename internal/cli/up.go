package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/cost"
	"github.com/mlflowctl/mlflowctl/pkg/plural"
	"github.com/mlflowctl/mlflowctl/pkg/preflight"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/verify"
)

// defaultOutDir is where a dry run writes the rendered stacks.
const defaultOutDir = "mlflowctl.out"

type upOpts struct {
	noAsk
	g      *globalOpts
	dryRun bool
	outDir string
	force  bool
	// rebuildUI ignores the cached UI build.
	rebuildUI bool
	// noTUI prints plain progress lines even on a terminal.
	noTUI bool
	// events writes the progress as JSON lines (on stderr) instead.
	events bool
	// skipPreflight skips the account checks before the plan (doctor.go).
	skipPreflight bool
	preflightIAM  preflight.IAMAPI
	// skipVerify skips the acceptance checks after the deploy (verify.go).
	skipVerify bool

	cfg   config.Config
	flags interface{ Changed(string) bool }

	// The test seams (environment.go): nil means the real thing.
	clients    func() awsClients
	steps      func() app.UpSteps
	interrupts func(ctx context.Context, w io.Writer) (context.Context, <-chan struct{}, func())
	preflights func() preflight.Clients
	roleWait   preflight.RoleWait
	// verified is the report of up's verify step, shown after the result.
	verified *verify.Report
}

func newUpOpts(g *globalOpts) *upOpts {
	return &upOpts{g: g, clients: g.env.aws, steps: g.env.upSteps, interrupts: g.env.interruptsFunc(),
		preflights: g.env.preflight, roleWait: g.env.roleWaitOrDefault()}
}

func newUpCommand(g *globalOpts) *cobra.Command {
	o := newUpOpts(g)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Deploy or update every stack of the deployment (--dry-run renders them offline)",
		Long: `up renders the deployment's CloudFormation stacks from mlflowctl.yaml, shows
the plan, asks for confirmation (unless --yes) and deploys them in dependency
order: bootstrap, server, api, then services, studio and ui.

With --dry-run it needs no AWS account or credentials: it writes every
template and parameter file to --out and prints the stacks, their resources
and parameters, and an estimate of the monthly cost while idle.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "render the stacks and the cost estimate offline; change nothing")
	cmd.Flags().StringVar(&o.outDir, "out", defaultOutDir, "directory for the dry run's templates and parameter files")
	cmd.Flags().BoolVar(&o.noTUI, "no-tui", false, "plain timestamped progress lines, even on a terminal")
	cmd.Flags().BoolVar(&o.events, "events", false, "progress as JSON lines on stderr, one object per stack event (stdout keeps the one result document)")
	cmd.Flags().BoolVar(&o.rebuildUI, "rebuild-ui", false, "source path: build the MLflow UI again even when the cache has this version and patch series")
	cmd.Flags().BoolVar(&o.skipPreflight, "skip-preflight", false, "do not run doctor's account checks before the plan")
	cmd.Flags().BoolVar(&o.skipVerify, "skip-verify", false, "do not run verify's end-to-end checks after the deploy")
	cmd.Flags().BoolVar(&o.force, "force", false, "look for changes through a change set even when a stack's inputs are unchanged")
	o.flags = cmd.Flags()
	return cmd
}

func (o *upOpts) Validate() error {
	if o.flags.Changed("out") && !o.dryRun {
		return usageErrorf("--out is for --dry-run: add --dry-run, or drop --out")
	}
	if strings.TrimSpace(o.outDir) == "" {
		return usageErrorf("--out is empty: name a directory, such as %s", defaultOutDir)
	}
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	return err
}

// unwrapPath is a file error without the path the message already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (o *upOpts) Execute() error {
	if o.dryRun {
		return o.executeDryRun()
	}
	return o.executeDeploy()
}

// dryRunReport is what a dry run prints with -o json.
type dryRunReport struct {
	Deployment string                `json:"deployment"`
	Account    string                `json:"account"`
	Region     string                `json:"region"`
	DryRun     bool                  `json:"dryRun"`
	OutDir     string                `json:"outDir"`
	Stacks     []stacks.StackSummary `json:"stacks"`
	Cost       cost.Estimate         `json:"idleCost"`
}

func (o *upOpts) executeDryRun() error {
	if o.cfg.Region == "" {
		o.cfg.Region = sdkRegion(o.g, o.cfg)
		if err := config.ValidateRegion(o.cfg.Region); o.cfg.Region != "" && err != nil {
			return usageErrorf("the region from AWS_REGION or the profile: %v; pass --region or set region: in %s", err, o.g.configPath)
		}
	}
	d, err := stacks.Render(o.cfg)
	if err != nil {
		return err
	}
	sums, err := stacks.Summarize(d, stacks.Placeholders(o.cfg))
	if err != nil {
		return err
	}
	// The dry run only writes files: a folder it cannot make is bad input.
	if err := os.MkdirAll(o.g.env.path(o.outDir), 0o755); err != nil {
		return usageErrorf("--out %s: cannot make that folder (%v): name a folder you can write, such as %s", o.outDir, unwrapPath(err), defaultOutDir)
	}
	if err := stacks.WriteFiles(o.g.env.path(o.outDir), d, sums); err != nil {
		return err
	}
	rep := dryRunReport{
		Deployment: d.Name, Account: orPlaceholder(o.cfg.AccountID, "<account>"),
		Region: orPlaceholder(o.cfg.Region, "<region>"), DryRun: true, OutDir: o.outDir,
		Stacks: sums, Cost: cost.Idle(o.cfg),
	}
	if _, err := fmt.Fprintf(o.g.stderr, "Rendered %s to %s/ (dry run: nothing was sent to AWS)\n", plural.Count(len(sums), "stack"), o.outDir); err != nil {
		return err
	}
	if err := printUIPath(o.g.stderr, o.cfg); err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, rep)
	}
	return printDryRun(o.g.stdout, rep)
}

func orPlaceholder(v, placeholder string) string {
	if v == "" {
		return placeholder
	}
	return v
}

func printDryRun(w io.Writer, r dryRunReport) error {
	p := &printer{w: w}
	p.f("Deployment %q  account %s  region %s  (dry run)\n\n", r.Deployment, r.Account, r.Region)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	t := &printer{w: tw}
	t.f("STACK\tRESOURCES\tDEPENDS ON\tTEMPLATE\tFILE\n")
	for _, s := range r.Stacks {
		size := fmt.Sprintf("%.1f KB", float64(s.TemplateBytes)/1024)
		if s.ViaS3 {
			size += " (via S3)"
		}
		t.f("%s\t%d\t%s\t%s\t%s\n", s.Name, s.Resources, orPlaceholder(strings.Join(s.DependsOn, ", "), "-"), size, s.TemplateFile)
	}
	if t.err != nil {
		return t.err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Stacks {
		p.f("\n%s\n  resources: %s\n", s.Name, byType(s.ByType))
		if len(s.Parameters) > 0 {
			p.f("  parameters:\n")
		}
		for _, v := range s.Parameters {
			p.f("    %s = %s  [%s]\n", v.Key, v.Value, v.Source)
		}
	}
	if p.err != nil {
		return p.err
	}
	if err := printCost(w, r.Cost); err != nil {
		return err
	}
	p.f("\nNext: check the templates in %s/, then run `mlflowctl up` with AWS credentials to deploy.\n", r.OutDir)
	return p.err
}

func byType(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", strings.TrimPrefix(k, "AWS::"), m[k])
	}
	return strings.Join(parts, ", ")
}

func printCost(w io.Writer, e cost.Estimate) error {
	p := &printer{w: w}
	p.f("\nEstimated monthly cost while idle (%s prices, %s):\n", e.PriceRegion, e.Currency)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	t := &printer{w: tw}
	for _, l := range e.Lines {
		t.f("  %s\t%s\t%9s\n", l.Item, l.Quantity, fmt.Sprintf("$%.2f", l.Monthly))
	}
	t.f("  Total\t\t%9s\n", fmt.Sprintf("$%.2f", e.Total))
	if t.err != nil {
		return t.err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	p.f("Assumptions:\n")
	for _, a := range e.Assumptions {
		p.f("  - %s\n", a)
	}
	return p.err
}
