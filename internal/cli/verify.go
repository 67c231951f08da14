package cli

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/verify"
)

type verifyOpts struct {
	noAsk
	g   *globalOpts
	cfg config.Config
}

func newVerifyCommand(g *globalOpts) *cobra.Command {
	o := &verifyOpts{g: g}
	return &cobra.Command{
		Use:   "verify",
		Short: "Prove the deployment works and its permissions hold, with real requests (up runs it last)",
		Long: `verify checks a deployed MLflow end to end, in your account:

  - the UI site serves index.html and mlflowctl-auth.json, and its login link
    reaches the deployment's Cognito domain (authorization code + PKCE);
  - for each group, a temporary Cognito user (deleted afterwards, even on a
    failure or Ctrl-C) reads, is refused a write beyond its rights (403) and
    may write within them, through the UI's path; no token gets 401;
  - the IAM path, signed with your credentials (SigV4), answers /version and
    a read; unsigned requests get 403;
  - the tracking server logs a tiny run with a metric and an artifact, reads
    both back, and deletes them.

It prints each check with its time (-o json for a report) and exits 1 at the
first broken hop, saying what to look at.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
}

func (o *verifyOpts) Validate() error {
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	return err
}

func (o *verifyOpts) Execute() error {
	c, err := o.g.clients(o.cfg)
	if err != nil {
		return err
	}
	api, found, err := stacks.Read(o.g.ctx, c.CloudFormation(), o.cfg.Name, stacks.API)
	if err != nil {
		return err
	}
	if !found {
		return usageErrorf("deployment %q has no api stack in %s: run mlflowctl up first", o.cfg.Name, c.Region())
	}
	rep, err := runVerify(o.g.ctx, o.cfg, c, api.Outputs, func(r verify.Result) {
		_, _ = fmt.Fprintf(o.g.stderr, "verify: %-14s %-55s %s\n", r.Hop, r.Check, r.Status)
	})
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		if err := writeJSON(o.g.stdout, rep); err != nil {
			return err
		}
	} else if err := rep.WriteTable(o.g.stdout); err != nil {
		return err
	}
	return verifyFailure(rep)
}

// runVerify runs the checks against a deployment's api outputs, printing
// each check on stderr as it finishes.
func runVerify(ctx context.Context, cfg config.Config, c *awsx.Clients, apiOutputs map[string]string, progress func(verify.Result)) (verify.Report, error) {
	target, err := verify.TargetFrom(cfg, apiOutputs)
	if err != nil {
		return verify.Report{}, err
	}
	deps := verify.Deps{
		Cognito:     c.Cognito(),
		S3:          c.S3(),
		HTTP:        &http.Client{Timeout: 60 * time.Second},
		Credentials: c.Config().Credentials,
		Region:      c.Region(),
		Progress:    progress,
	}
	return verify.Run(ctx, target, deps), nil
}

// verifyError names the first broken hop and where to look (exit 1).
type verifyError struct{ rep verify.Report }

func (e *verifyError) Error() string { return "verify failed: " + e.rep.Verdict() }

func verifyFailure(rep verify.Report) error {
	if rep.Failed() != nil {
		return &verifyError{rep: rep}
	}
	return nil
}
