package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/tui"
)

// awsClients are the SDK clients up and status use; tests replace them.
type awsClients struct {
	cfn      deploy.CloudFormationAPI
	s3       deploy.PutObjectAPI
	region   string
	endpoint string
	// aws is the configuration the image and UI steps build their own
	// clients from; nil in tests, which stand those steps in.
	aws *aws.Config
}

// interrupts turns Ctrl-C into cancel, then detach (tests replace it:
// signal handling cannot run inside a synctest bubble).
var interrupts = deploy.Interrupts

// awsClientsHook, when set, replaces the AWS clients (tests).
var awsClientsHook func() awsClients

// loadAWSClients builds the clients for cfg's account and region.
func loadAWSClients(g *globalOpts, cfg config.Config) (awsClients, error) {
	if awsClientsHook != nil {
		return awsClientsHook(), nil
	}
	awsCfg, err := awsx.Load(g.ctx, g.awsOptions(cfg))
	if err != nil {
		return awsClients{}, err
	}
	return newAWSClients(g, awsCfg), nil
}

func newAWSClients(g *globalOpts, cfg aws.Config) awsClients {
	return awsClients{
		cfn:      cloudformation.NewFromConfig(cfg),
		s3:       s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = g.endpointURL != "" }),
		region:   cfg.Region,
		endpoint: g.endpointURL,
		aws:      &cfg,
	}
}

// upResult is what up prints when it is done.
type upResult struct {
	Deployment string             `json:"deployment"`
	Region     string             `json:"region"`
	Plan       []deploy.StackPlan `json:"plan"`
	Endpoints  stacks.Endpoints   `json:"endpoints"`
	Next       []string           `json:"next"`
}

func (o *upOpts) executeDeploy() error {
	c, err := loadAWSClients(o.g, o.cfg)
	if err != nil {
		return err
	}
	missingRoles, err := o.upPreflight(c)
	if err != nil {
		return err
	}
	// The engine's Detach is bridged from interrupts, which start only
	// once the user said yes: before that a Ctrl-C has nothing to stop.
	detach := make(chan struct{})
	eng := deploy.New(c.cfn, deploy.Options{
		Version:     o.g.build.Version,
		Force:       o.force,
		Yes:         o.g.yes,
		Confirm:     o.confirmFunc(),
		Detach:      detach,
		Uploader:    deploy.S3Uploader{Client: c.s3, Region: c.region, Endpoint: c.endpoint},
		AssetsFrom:  deploy.OutputRef{Stack: stacks.Bootstrap, Output: stacks.OutAssetsBucket},
		DirectCalls: o.directCalls,
	})
	opts := o.stackOptions(o.cfg)
	if opts.UploadAsset == nil {
		opts.UploadAsset = s3Putter(c)
	}
	if c.aws != nil {
		wireAWSSteps(&opts, o.cfg, *c.aws, eng, o.rebuildUI)
	}
	d, err := stacks.Render(o.cfg, opts)
	if err != nil {
		return err
	}
	if err := checkVersionMove(o.g.ctx, c.cfn, o.cfg); err != nil {
		return err
	}
	plan, err := eng.Plan(o.g.ctx, d)
	if err != nil {
		return err
	}
	if err := printPlan(o.g.stderr, plan); err != nil {
		return err
	}
	if err := printUIPath(o.g.stderr, o.cfg); err != nil {
		return err
	}
	ok, err := o.confirm(o.g.ctx, fmt.Sprintf("Deploy %q to %s?", d.Name, c.region))
	if o.g.ctx.Err() != nil {
		_, _ = fmt.Fprintln(o.g.stderr, "\nNothing changed.")
		return &silentError{err: &interruptedError{msg: "interrupted at the confirmation; nothing changed"}}
	}
	if err != nil || !ok {
		if err == nil {
			_, err = fmt.Fprintln(o.g.stderr, "Nothing changed.")
		}
		return err
	}
	ctx, second, stop := interrupts(o.g.ctx, o.g.stderr)
	done := make(chan struct{})
	defer func() { close(done); stop() }()
	go bridge(second, detach, done)
	o.g.changing() // creating roles is a change already
	if err := o.upCreateRoles(ctx, missingRoles); err != nil {
		return err
	}
	// stdout holds one document with -o json (as for every command); the
	// progress goes to stderr: the live view, plain lines, or with
	// --events JSON lines.
	stopView := tui.Watch(eng, tui.Options{Stdout: o.g.stderr, Stderr: o.g.stderr, JSON: o.events,
		NoTUI: o.noTUI || o.g.jsonOutput(), NoColor: o.g.noColor})
	outs, err := eng.Deploy(ctx, d)
	if verr := stopView(); err == nil {
		err = verr
	}
	if err != nil {
		return err
	}
	res := upResult{Deployment: d.Name, Region: c.region, Plan: plan, Endpoints: stacks.EndpointsFrom(outs)}
	res.Next = nextCommands(o.cfg.Name, res.Endpoints)
	if o.g.jsonOutput() {
		if err := writeJSON(o.g.stdout, res); err != nil {
			return err
		}
		return o.upVerify(ctx, c, outs)
	}
	p := &printer{w: o.g.stdout}
	printEndpoints(p, res.Endpoints)
	p.f("\nNext:\n")
	for _, n := range res.Next {
		p.f("  %s\n", n)
	}
	if p.err != nil {
		return p.err
	}
	return o.upVerify(ctx, c, outs)
}

// s3Putter uploads the authorizer zip to the assets bucket.
func s3Putter(c awsClients) func(ctx context.Context, bucket, key string, body []byte) error {
	return func(ctx context.Context, bucket, key string, body []byte) error {
		_, err := deploy.S3Uploader{Client: c.s3, Region: c.region, Endpoint: c.endpoint}.Upload(ctx, bucket, key, body)
		return err
	}
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

// bridge closes to when from closes (a second Ctrl-C), until done.
func bridge(from <-chan struct{}, to chan struct{}, done <-chan struct{}) {
	select {
	case <-from:
		close(to)
	case <-done:
	}
}

func (o *upOpts) confirmFunc() func(context.Context, string) (bool, error) {
	return o.confirm
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
