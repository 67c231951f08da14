package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/uihost"
)

func newUICommand(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Build and host the patched MLflow UI",
	}
	cmd.AddCommand(newUIDeployCommand(g), newUIBuildCommand(g))
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
		Short: "Patch the released MLflow UI (or rebuild it from source) and host it",
		Long: `deploy runs the UI part of ` + "`mlflowctl up`" + ` on its own, for a UI-only change
(a new patch in ui.patches, a new login setting). It makes the UI one of two
ways, and prints which and why:

  prebuilt (default)  the UI the mlflow wheel of mlflowVersion ships, fetched
                      from ui.packageIndex (sha256 checked against the index,
                      cached locally and in the assets bucket), with
                      mlflowctl's login patch (and yours, when they only
                      touch mlflow/server/js/public/) added in place. Seconds;
                      no build, no CodeBuild.
  source              when ui.build is source, or a patch in ui.patches
                      changes anything outside mlflow/server/js/public/: clone
                      MLflow, apply the patch series and build the UI in the
                      deployment's CodeBuild project (about ten minutes),
                      unless the assets bucket holds a build of that version
                      and series.

Either way it adds the Cognito settings of the api stack and deploys the site
to the deployment's Amplify app.

JSON output (-o json):
  {"path": "prebuilt", "reason": "...", "wheel": "mlflow-3.18.0-py3-none-any.whl sha256:...",
   "cacheHit": false, "amplifyJobId": "1", "url": "https://main.<app id>.amplifyapp.com/"}
  (the source path gives "buildKey": "ui/builds/3.18.0/<patch hash>.zip" instead of "wheel")`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	cmd.Flags().BoolVar(&o.rebuild, "rebuild-ui", false, "source path: build again even when the cache has this version and patch series")
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
	c, err := o.g.clients(o.cfg)
	if err != nil {
		return err
	}
	eng := deploy.New(c.CloudFormation(), deploy.Options{Version: o.g.build.Version})
	outs, err := eng.Outputs(o.g.ctx, o.cfg.Name)
	if err != nil {
		return err
	}
	if len(outs) == 0 {
		return usageErrorf("nothing is deployed as %q in %s: run `mlflowctl up` first", o.cfg.Name, c.Region())
	}
	// The UI goes to the app and branch of these stacks: a partial
	// deployment stops here, before anything is uploaded.
	var missing []string
	for _, st := range []string{stacks.Bootstrap, stacks.API, stacks.UI} {
		if _, ok := outs[st]; !ok {
			missing = append(missing, o.cfg.Name+"-"+st)
		}
	}
	if len(missing) > 0 {
		return usageErrorf("deployment %q in %s has no %s stack yet, which the UI is hosted by: run `mlflowctl up --name %s` to finish it",
			o.cfg.Name, c.Region(), strings.Join(missing, ", "), o.cfg.Name)
	}
	o.g.changing()
	res, err := uihost.Run(o.g.ctx, c, o.cfg, outs, o.g.env.withCaches(uihost.RunOptions{Rebuild: o.rebuild, Progress: o.progress}))
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, res)
	}
	how := "source path, built in CodeBuild"
	switch {
	case res.Path == uihost.PathPrebuilt:
		how = "prebuilt path, no build: " + res.Wheel
	case res.CacheHit:
		how = "source path, cache hit: no build ran"
	}
	_, err = fmt.Fprintf(o.g.stdout, "MLflow UI deployed (%s): %s\nUI path %s: %s\n", how, res.URL, res.Path, res.Reason)
	return err
}

func (o *uiDeployOpts) progress(line string) {
	_, _ = fmt.Fprintf(o.g.stderr, "%s %s\n", time.Now().UTC().Format(time.RFC3339), line)
}
