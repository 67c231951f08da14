package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/apigwlogs"
	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/build"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/preflight"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/tui"
	"github.com/mlflowctl/mlflowctl/pkg/uihost"
	"github.com/mlflowctl/mlflowctl/pkg/upgrade"
	"github.com/mlflowctl/mlflowctl/pkg/verify"
	"github.com/mlflowctl/mlflowctl/pkg/versions"
)

// awsClients are what up and status call directly; tests stand in for
// them (environment.aws).
type awsClients struct {
	cfn    deploy.CloudFormationAPI
	s3     deploy.PutObjectAPI
	region string
	// emulator is the one emulator setting (zero in tests: AWS's ways).
	emulator awsx.Emulator
	// all are the command's clients, which the image, UI and verify
	// steps take theirs from; nil when tests stand in.
	all *awsx.Clients
}

// loadAWSClients builds the clients for cfg's account and region.
func loadAWSClients(g *globalOpts, cfg config.Config, stand func() awsClients) (awsClients, error) {
	if stand != nil {
		return stand(), nil
	}
	c, err := g.clients(cfg)
	if err != nil {
		return awsClients{}, err
	}
	return awsClients{cfn: c.CloudFormation(), s3: c.S3(), region: c.Region(), emulator: c.Emulator(), all: c}, nil
}

// upResult is what up prints when it is done.
type upResult struct {
	Deployment string             `json:"deployment"`
	Region     string             `json:"region"`
	Plan       []deploy.StackPlan `json:"plan"`
	Endpoints  stacks.Endpoints   `json:"endpoints"`
	Next       []string           `json:"next"`
}

// executeDeploy hands the recipe (app.Up.Run) the clients, the steps of
// other packages and the conversation, then prints the result.
func (o *upOpts) executeDeploy() error {
	c, err := loadAWSClients(o.g, o.cfg, o.clients)
	if err != nil {
		return err
	}
	res, err := o.newUp(c).Run(o.g.ctx)
	if res.Declined {
		_, err = fmt.Fprintln(o.g.stderr, "Nothing changed.")
		return err
	}
	var failed *verifyError
	if err != nil && !errors.As(err, &failed) {
		return err
	}
	if perr := o.printResult(c.region, res); perr != nil {
		return perr
	}
	if o.verified != nil {
		if werr := o.verified.WriteTable(o.g.stderr); werr != nil {
			return werr
		}
	}
	return err
}

// newUp is up's recipe with the clients, the steps of other packages and
// the conversation wired in.
func (o *upOpts) newUp(c awsClients) *app.Up {
	return &app.Up{
		Config: o.cfg, Version: o.g.build.Version, Region: c.region,
		Force: o.force, Yes: o.g.yes, DirectCalls: c.emulator.DirectStackCalls, SkipVerify: o.skipVerify,
		CFN:    c.cfn,
		Assets: deploy.S3Uploader{Client: c.s3, Region: c.region, Endpoint: c.emulator.Endpoint},
		Steps:  o.upSteps(c),
		UI: app.UpUI{
			ShowPlan: o.showPlan, ShowMove: o.showMove, Confirm: o.confirmDeploy, Ask: o.confirm, Changing: o.g.changing,
			Interrupts: func(ctx context.Context) (context.Context, <-chan struct{}, func()) {
				return o.interrupts(ctx, o.g.stderr)
			},
			Watch: func(eng *deploy.Engine) func() error {
				// stdout holds one document with -o json (as for every
				// command); the progress goes to stderr: the live view,
				// plain lines, or with --events JSON lines.
				return tui.Watch(eng, tui.Options{Stdout: o.g.stderr, Stderr: o.g.stderr, JSON: o.events,
					NoTUI: o.noTUI || o.g.jsonOutput(), NoColor: o.g.noColor})
			},
		},
	}
}

// printResult prints the endpoints and the next commands (or, with
// -o json, the one result document).
func (o *upOpts) printResult(region string, r app.UpResult) error {
	res := upResult{Deployment: o.cfg.Name, Region: region, Plan: r.Plan, Endpoints: stacks.EndpointsFrom(r.Outputs)}
	res.Next = nextCommands(o.cfg.Name, res.Endpoints)
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, res)
	}
	p := &printer{w: o.g.stdout}
	printEndpoints(p, res.Endpoints)
	p.f("\nNext:\n")
	for _, n := range res.Next {
		p.f("  %s\n", n)
	}
	return p.err
}

// upSteps are the steps' real work, built from the AWS configuration, or
// the test's stand-ins.
func (o *upOpts) upSteps(c awsClients) app.UpSteps {
	if o.steps != nil {
		return o.steps()
	}
	all := c.all
	return app.UpSteps{
		Preflight: func(ctx context.Context) (func(context.Context) error, error) {
			missing, err := o.upPreflight(ctx, preflight.NewClients(all))
			return func(ctx context.Context) error { return o.upCreateRoles(ctx, missing) }, err
		},
		BuildImages: func(ctx context.Context, deps deploy.Outputs, progress func(string)) (map[string]string, error) {
			return build.EnsureServerImages(ctx, o.cfg, deps, build.Env{Clients: build.NewClients(all), Region: all.Region(), Progress: progress})
		},
		APIGatewayLogging: func(ctx context.Context, progress func(string)) error {
			_, err := apigwlogs.New(all, progress).Ensure(ctx)
			return err
		},
		PublishUI: func(ctx context.Context, outs deploy.Outputs, progress func(string)) error {
			_, err := uihost.Run(ctx, all, o.cfg, outs, o.g.env.withCaches(uihost.RunOptions{Rebuild: o.rebuildUI, Progress: progress}))
			return err
		},
		Migrate: func(ctx context.Context, move versions.Move, server map[string]string, image string, progress func(string)) (func(context.Context) error, error) {
			u := &upgrade.Upgrader{RDS: all.RDS(), ECS: all.ECS(), Logs: all.Logs(), CFN: all.CloudFormation(),
				Scaling: all.ApplicationAutoScaling(), Progress: progress}
			return upgrade.Prepare(ctx, u, upgrade.DeploymentOf(o.cfg.Name, server), move.From.MLflow, move.To.MLflow, image)
		},
		Verify: func(ctx context.Context, outs deploy.Outputs, progress func(string)) error {
			rep, err := runVerify(ctx, o.cfg, all, outs[stacks.API], func(r verify.Result) {
				progress(fmt.Sprintf("%-14s %-55s %s", r.Hop, r.Check, r.Status))
			})
			if err != nil {
				return err
			}
			o.verified = &rep
			return verifyFailure(rep)
		},
	}
}

// showPlan prints the plan and how the UI will be made.
func (o *upOpts) showPlan(plan []deploy.StackPlan) error {
	if err := printPlan(o.g.stderr, plan); err != nil {
		return err
	}
	return printUIPath(o.g.stderr, o.cfg)
}

// showMove prints what a change of MLflow version implies.
func (o *upOpts) showMove(lines []string) error {
	p := &printer{w: o.g.stderr}
	for _, l := range lines {
		p.f("%s\n", l)
	}
	return p.err
}

// confirmDeploy asks whether to deploy; Ctrl-C at the question ends up at
// once (exit 130) with nothing changed.
func (o *upOpts) confirmDeploy(ctx context.Context, question string) (bool, error) {
	ok, err := o.confirm(ctx, question)
	if ctx.Err() != nil {
		_, _ = fmt.Fprintln(o.g.stderr, "\nNothing changed.")
		return false, &silentError{err: &interruptedError{msg: "interrupted at the confirmation; nothing changed"}}
	}
	return ok, err
}

func printPlan(w io.Writer, plan []deploy.StackPlan) error {
	out := &printer{w: w}
	out.f("Plan:\n")
	for _, p := range plan {
		out.f("  %s\n", p.String())
		if p.Action == deploy.ActionCreate {
			continue // every resource is new; the progress display lists them
		}
		for _, c := range p.Changes {
			extra := ""
			if c.Replacement == "True" {
				extra = "  (replaced)"
			}
			out.f("      %-7s %s  %s%s\n", c.Action, c.LogicalID, c.Label, extra)
		}
	}
	return out.err
}

// confirm asks on stderr and reads the answer from stdin, unless --yes.
func (o *upOpts) confirm(ctx context.Context, question string) (bool, error) {
	if o.g.yes {
		return true, nil
	}
	if _, err := fmt.Fprintf(o.g.stderr, "%s [y/N] ", question); err != nil {
		return false, err
	}
	line, err := readAnswer(ctx, o.g.stdin)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	if line == "" && errors.Is(err, io.EOF) {
		_, _ = fmt.Fprintln(o.g.stderr) // end the prompt's line, as Enter would
		return false, usageErrorf("no answer on stdin: run with --yes to deploy without asking")
	}
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "y" || ans == "yes", nil
}

// readAnswer reads one line, or gives up at once when ctx ends (Ctrl-C):
// a read from a terminal cannot be interrupted, so it runs aside.
func readAnswer(ctx context.Context, in io.Reader) (string, error) {
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(in).ReadString('\n')
		got <- answer{line, err}
	}()
	select {
	case a := <-got:
		return a.line, a.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func printEndpoints(p *printer, e stacks.Endpoints) {
	rows := [][2]string{
		{"MLflow UI", e.UI},
		{"Tracking URI", e.TrackingURI + sigv4Note(e.TrackingURI)},
		{"Token URI", e.TokenTrackingURI + tokenNote(e.TokenTrackingURI)},
		{"Cognito login", e.CognitoLogin},
		{"User pool", e.UserPoolID},
		{"REST API", e.RestAPIID},
		{"Studio domain", e.DomainID},
		{"Studio profiles", e.UserProfiles},
		{"MLflow version", e.MLflowVersion},
	}
	for _, r := range rows {
		if r[1] != "" {
			p.f("%-16s %s\n", r[0]+":", r[1])
		}
	}
}

func sigv4Note(uri string) string {
	if uri == "" {
		return ""
	}
	return "   (SigV4: IAM roles)"
}

func tokenNote(uri string) string {
	if uri == "" {
		return ""
	}
	return "   (Cognito token: mlflowctl login)"
}

// nextCommands are what a user runs after up.
func nextCommands(name string, e stacks.Endpoints) []string {
	nameFlag := nameFlag(name)
	next := []string{
		fmt.Sprintf("mlflowctl users add%s you@example.com --group admins   # then log in at the MLflow UI", nameFlag),
		fmt.Sprintf("mlflowctl status%s", nameFlag),
	}
	if e.TrackingURI == "" {
		return next
	}
	pin := mlflowRequirement(e.MLflowVersion)
	region := ""
	if m := regionInHost.FindStringSubmatch(e.TrackingURI); m != nil {
		region = " AWS_DEFAULT_REGION=" + m[1] // the region requests-auth-aws-sigv4 signs for
	}
	next = append(next,
		fmt.Sprintf("pip install %s requests-auth-aws-sigv4 boto3 && MLFLOW_TRACKING_URI=%s MLFLOW_TRACKING_AWS_SIGV4=true%s python train.py   # SDK with your IAM role", pin, e.TrackingURI, region),
		fmt.Sprintf("pip install %s && mlflowctl login%s && eval \"$(mlflowctl env --token%s)\" && python train.py   # SDK with your Cognito login (laptop, CI)", pin, nameFlag, nameFlag))
	if e.CognitoDomain != "" && e.AppClientID != "" {
		next = append(next, fmt.Sprintf("mlflowctl login%s --tracking-uri %s --auth-domain %s --client-id %s   # the same for users without AWS credentials",
			nameFlag, e.TrackingURI, e.CognitoDomain, e.AppClientID))
	}
	return next
}
