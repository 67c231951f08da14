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
	ctx, detach, stop := interrupts(o.g.ctx, o.g.stderr)
	defer stop()
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
	origin := &uiOrigin{cfn: c.cfn, deployment: o.cfg.Name}
	opts.UIOrigin = origin.read
	d, err := stacks.Render(o.cfg, opts)
	if err != nil {
		return err
	}
	plan, err := eng.Plan(ctx, d)
	if err != nil {
		return err
	}
	if err := printPlan(o.g.stderr, plan); err != nil {
		return err
	}
	if ok, err := o.confirm(ctx, fmt.Sprintf("Deploy %q to %s?", d.Name, c.region)); err != nil || !ok {
		if err == nil {
			_, err = fmt.Fprintln(o.g.stderr, "Nothing changed.")
		}
		return err
	}
	if err := o.upCreateRoles(ctx, missingRoles); err != nil {
		return err
	}
	stopView := tui.Watch(eng, tui.Options{Stdout: o.g.stdout, Stderr: o.g.stderr, JSON: o.g.jsonOutput(), NoTUI: o.noTUI, NoColor: o.g.noColor})
	outs, err := eng.Deploy(ctx, d)
	if err == nil && stacks.UIOriginPending(o.cfg, origin.used, outs) {
		// A first deployment: the UI's origin exists only now; the
		// tracking server admits it after one more server update.
		eng.Note(stacks.Server, "admitting the UI origin "+stacks.UIOrigin(outs[stacks.API])+" for browser writes: updating the tracking server")
		outs, err = eng.Deploy(ctx, d)
	}
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

// uiOrigin reads the UI origin from the api stack as it is now, and
// remembers what it gave the server stack.
type uiOrigin struct {
	cfn        stacks.DescribeStacksAPI
	deployment string
	used       string
}

func (u *uiOrigin) read(ctx context.Context) (string, error) {
	api, found, err := stacks.Read(ctx, u.cfn, u.deployment, stacks.API)
	if err != nil || !found {
		return "", err
	}
	u.used = stacks.UIOrigin(api.Outputs)
	return u.used, nil
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
func (o *upOpts) confirm(_ context.Context, question string) (bool, error) {
	if o.g.yes {
		return true, nil
	}
	if _, err := fmt.Fprintf(o.g.stderr, "%s [y/N] ", question); err != nil {
		return false, err
	}
	line, err := bufio.NewReader(o.g.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	if line == "" && errors.Is(err, io.EOF) {
		return false, usageErrorf("no answer on stdin: run with --yes to deploy without asking")
	}
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "y" || ans == "yes", nil
}

func (o *upOpts) confirmFunc() func(context.Context, string) (bool, error) {
	return o.confirm
}

func printEndpoints(p *printer, e stacks.Endpoints) {
	rows := [][2]string{
		{"MLflow UI", e.UI},
		{"Tracking URI", e.TrackingURI},
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

// nextCommands are what a user runs after up.
func nextCommands(name string, e stacks.Endpoints) []string {
	nameFlag := ""
	if name != "mlflow" {
		nameFlag = " --name " + name
	}
	next := []string{
		fmt.Sprintf("mlflowctl users add%s you@example.com --group admins   # then log in at the MLflow UI", nameFlag),
		fmt.Sprintf("mlflowctl status%s", nameFlag),
	}
	if e.TrackingURI != "" {
		next = append(next, fmt.Sprintf("MLFLOW_TRACKING_URI=%s MLFLOW_TRACKING_AWS_SIGV4=true python train.py   # SDK with your IAM role", e.TrackingURI))
	}
	return next
}
