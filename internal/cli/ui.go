package cli

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/uihost"
)

func newUICommand(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Build and host the patched MLflow UI",
	}
	cmd.AddCommand(newUIDeployCommand(g))
	return cmd
}

type uiDeployOpts struct {
	noAsk
	g       *globalOpts
	rebuild bool
	cfg     config.Config
}

func newUIDeployCommand(g *globalOpts) *cobra.Command {
	o := &uiDeployOpts{g: g}
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Clone, patch, build (or reuse the cached build) and host the MLflow UI",
		Long: `deploy runs the UI part of ` + "`mlflowctl up`" + ` on its own, for a UI-only change
(a new patch in ui.patches, a new login setting): it clones MLflow at
mlflowVersion, applies mlflowctl's login patch and yours, builds the UI in the
deployment's CodeBuild project unless the assets bucket already holds a build
of that version and patch series, adds the Cognito settings of the api stack,
and deploys it to the deployment's Amplify app.

JSON output (-o json):
  {"cacheHit": false, "buildKey": "ui/builds/3.18.0/<patch hash>.zip",
   "amplifyJobId": "1", "url": "https://main.<app id>.amplifyapp.com/"}`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	cmd.Flags().BoolVar(&o.rebuild, "rebuild-ui", false, "build again even when the cache has this version and patch series")
	return cmd
}

func (o *uiDeployOpts) Validate() error {
	cfg, err := o.g.validConfig()
	o.cfg = cfg
	if err != nil {
		return err
	}
	if !cfg.UI.Enabled {
		return usageErrorf("ui.enabled is false in the configuration: set it to true (then run `mlflowctl up`) to host the UI")
	}
	return nil
}

func (o *uiDeployOpts) Execute() error {
	awsCfg, err := awsx.Load(o.g.ctx, o.g.awsOptions(o.cfg))
	if err != nil {
		return err
	}
	eng := deploy.New(cloudformation.NewFromConfig(awsCfg), deploy.Options{Version: o.g.build.Version})
	outs, err := eng.Outputs(o.g.ctx, o.cfg.Name)
	if err != nil {
		return err
	}
	if len(outs) == 0 {
		return usageErrorf("nothing is deployed as %q in %s: run `mlflowctl up` first", o.cfg.Name, awsCfg.Region)
	}
	o.g.changing()
	res, err := uihost.Run(o.g.ctx, awsCfg, o.cfg, outs, uihost.RunOptions{Rebuild: o.rebuild, Progress: o.progress})
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, res)
	}
	how := "built in CodeBuild"
	if res.CacheHit {
		how = "cache hit: no build ran"
	}
	_, err = fmt.Fprintf(o.g.stdout, "MLflow UI deployed (%s): %s\n", how, res.URL)
	return err
}

func (o *uiDeployOpts) progress(line string) {
	_, _ = fmt.Fprintf(o.g.stderr, "%s %s\n", time.Now().UTC().Format(time.RFC3339), line)
}
