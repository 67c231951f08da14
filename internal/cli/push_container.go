package cli

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlflowctl/mlflowctl/pkg/build"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/ecr"
)

type pushContainerOpts struct {
	noAsk
	g   *globalOpts
	cfg config.Config

	mlflowVersion string
	repository    string
	builder       string
	platform      string
	from          string
}

func newPushContainerCommand(g *globalOpts) *cobra.Command {
	o := &pushContainerOpts{g: g}
	cmd := &cobra.Command{
		Use:   "push-container",
		Short: "Build and push the MLflow pyfunc serving image for SageMaker to ECR",
		Long: `push-container builds the image MLflow's "mlflow sagemaker build-and-push-container"
builds (nginx on 8080, GET /ping, POST /invocations, the model at /opt/ml/model)
without local Docker: in the deployment's CodeBuild project by default, or with
a local Docker daemon when one answers. It pushes it to ECR and prints
<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<MLflow version>
(<version>-arm64 for --platform linux/arm64).
An image already in ECR (same content hash) is not built again.

With --from it pushes an image saved with "docker save" instead, uploading only
the layers ECR does not have yet.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.mlflowVersion, "mlflow-version", "", "MLflow version to serve (default: mlflowVersion from the config)")
	f.StringVar(&o.repository, "repository", "", "ECR `REPOSITORY` (default: the deployment's own, <name>-pyfunc from its bootstrap stack; another is created with scan on push if missing and deleted by mlflowctl down)")
	f.StringVar(&o.builder, "builder", "", "auto, codebuild or docker (default: builder from the config)")
	f.StringVar(&o.platform, "platform", build.PlatformAMD64, "image platform: linux/amd64 or linux/arm64")
	f.StringVar(&o.from, "from", "", "push this `TARBALL` (made by docker save) instead of building")
	return cmd
}

var ecrRepositoryRe = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
var versionRe = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

func (o *pushContainerOpts) Validate() error {
	cfg, err := o.g.validConfig()
	if err != nil {
		return err
	}
	o.cfg = cfg
	if o.mlflowVersion == "" {
		o.mlflowVersion = cfg.MLflowVersion
	}
	if o.builder == "" {
		o.builder = cfg.Builder
	}
	if o.from == "" && !slices.Contains(config.SupportedMLflowVersions, o.mlflowVersion) {
		return usageErrorf("--mlflow-version %q has no serving image template: use one of %s", o.mlflowVersion, strings.Join(config.SupportedMLflowVersions, ", "))
	}
	if o.from != "" && !versionRe.MatchString(o.mlflowVersion) {
		return usageErrorf("--mlflow-version %q is not a version (it becomes the tag): use X.Y.Z, e.g. %s", o.mlflowVersion, config.DefaultMLflowVersion)
	}
	if o.repository != "" && (len(o.repository) < 2 || len(o.repository) > 256 || !ecrRepositoryRe.MatchString(o.repository)) {
		return usageErrorf("--repository %q is not an ECR repository name: use lowercase letters, digits and . _ - /, e.g. %s", o.repository, build.DefaultPyfuncRepository)
	}
	if !slices.Contains([]string{build.ModeAuto, build.ModeCodeBuild, build.ModeDocker}, o.builder) {
		return usageErrorf("--builder %q is not a builder: use auto, codebuild or docker", o.builder)
	}
	if err := build.ValidatePlatform(o.platform); err != nil {
		return usageErrorf("--platform: %v", err)
	}
	if o.from != "" {
		if st, err := os.Stat(o.g.env.path(o.from)); err != nil || st.IsDir() {
			return usageErrorf("--from %q is not a file: pass an image saved with `docker save -o image.tar <image>`", o.from)
		}
		// Read before any AWS call, with the same hint as a missing file.
		if _, err := ecr.LoadTarball(o.from, ""); err != nil {
			return usageErrorf("--from %q is not an image saved by docker (%v): pass one saved with `docker save -o image.tar <image>`", o.from, errors.Unwrap(err))
		}
	}
	return nil
}

func (o *pushContainerOpts) Execute() error {
	c, err := o.g.clients(o.cfg)
	if err != nil {
		return err
	}
	env := build.Env{
		Clients:  build.NewClients(c),
		Region:   c.Region(),
		Progress: func(line string) { _, _ = fmt.Fprintln(o.g.stderr, line) },
		// Only for tests and registry mirrors: push somewhere other than ECR's host.
		Registry: o.g.env.getenv("MLFLOWCTL_ECR_REGISTRY"),
	}
	res, err := build.PushContainer(o.g.ctx, build.PushRequest{
		Deployment:    o.cfg.Name,
		MLflowVersion: o.mlflowVersion,
		Repository:    o.repository,
		Builder:       o.builder,
		Platform:      o.platform,
		From:          o.g.env.path(o.from),
		Changing:      o.g.changing,
	}, env)
	if err != nil {
		return err
	}
	if o.g.jsonOutput() {
		return writeJSON(o.g.stdout, res)
	}
	_, err = fmt.Fprintln(o.g.stdout, res.ImageURI)
	return err
}
