package uihost

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/amplify"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mlflowctl/mlflowctl/pkg/build"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/patch"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// RunOptions tune Run.
type RunOptions struct {
	// Rebuild ignores a cached build (--rebuild-ui).
	Rebuild bool
	// Progress gets one line per step and build log line.
	Progress func(string)
	// CloneProgress gets git's clone progress (a terminal), or nil.
	CloneProgress io.Writer
	// CacheDir holds clones (default patch.DefaultCacheDir()).
	CacheDir string
	// Poll is the CodeBuild and Amplify status interval (defaults: 5 s, 1 s).
	Poll time.Duration
}

// MissingOutputsError says a stack the UI needs is not deployed yet.
type MissingOutputsError struct{ What string }

func (e *MissingOutputsError) Error() string {
	return e.What + ": run `mlflowctl up` first (the UI is hosted by the deployment's api and ui stacks)"
}

// ExitCode marks an undeployed deployment as bad usage.
func (e *MissingOutputsError) ExitCode() int { return 2 }

// Run clones MLflow at cfg's version, applies mlflowctl's patch and the
// user's, builds the UI in CodeBuild (or takes it from the cache), and
// hosts it on the deployment's Amplify app. outs are the stack outputs.
func Run(ctx context.Context, awsCfg aws.Config, cfg config.Config, outs deploy.Outputs, o RunOptions) (Result, error) {
	boot := build.BootstrapFrom(outs[stacks.Bootstrap])
	if boot.AssetsBucket == "" || boot.CodeBuildProject == "" {
		return Result{}, &MissingOutputsError{What: fmt.Sprintf("stack %s-%s has no %s/%s output", cfg.Name, stacks.Bootstrap, stacks.OutAssetsBucket, stacks.OutCodeBuildProject)}
	}
	api := outs[stacks.API]
	appID := api[stacks.OutAmplifyAppID]
	if appID == "" {
		return Result{}, &MissingOutputsError{What: fmt.Sprintf("stack %s-%s has no %s output", cfg.Name, stacks.API, stacks.OutAmplifyAppID)}
	}
	branch := outs[stacks.UI][stacks.OutAmplifyBranch]
	if branch == "" {
		return Result{}, &MissingOutputsError{What: fmt.Sprintf("stack %s-%s has no %s output", cfg.Name, stacks.UI, stacks.OutAmplifyBranch)}
	}
	settings, err := SettingsFromOutputs(awsCfg.Region, cfg.Authorizer.TokenUse, api)
	if err != nil {
		return Result{}, err
	}
	src, err := prepareSources(ctx, cfg, o)
	if err != nil {
		return Result{}, err
	}
	return publisher(awsCfg, boot, o).Publish(ctx, PublishInput{
		MLflowVersion: cfg.MLflowVersion, SourceDir: filepath.Join(src.Dir, "mlflow", "server", "js"),
		PatchHash: src.SeriesHash, AppID: appID, Branch: branch, Settings: settings, Rebuild: o.Rebuild,
	})
}

func prepareSources(ctx context.Context, cfg config.Config, o RunOptions) (*patch.Result, error) {
	series, err := patch.FullSeries(cfg.UI.Patches)
	if err != nil {
		return nil, err
	}
	say(o.Progress, "Cloning %s at %s and applying %d patch file(s)", cfg.UI.Repository, patch.RefForVersion(cfg.MLflowVersion), len(series))
	return patch.Prepare(ctx, patch.CloneOptions{
		URL: cfg.UI.Repository, Ref: patch.RefForVersion(cfg.MLflowVersion), CacheDir: o.CacheDir, Progress: o.CloneProgress,
	}, series)
}

func publisher(awsCfg aws.Config, boot build.Bootstrap, o RunOptions) Publisher {
	clients := build.NewClients(awsCfg)
	s3c := s3.NewFromConfig(awsCfg, func(so *s3.Options) { so.UsePathStyle = awsCfg.BaseEndpoint != nil })
	follower := &build.CodeBuild{CodeBuild: clients.CodeBuild, Logs: clients.Logs, Project: boot.CodeBuildProject, Poll: o.Poll}
	return Publisher{
		Bucket:   Bucket{S3: s3c, Name: boot.AssetsBucket},
		Builder:  CodeBuildUI{Starter: clients.CodeBuild, Follower: follower, Project: boot.CodeBuildProject, Progress: o.Progress},
		Amplify:  Deployer{Amplify: amplify.NewFromConfig(awsCfg), Poll: o.Poll, Progress: o.Progress},
		Progress: o.Progress,
	}
}

func say(progress func(string), format string, args ...any) {
	if progress != nil {
		progress(fmt.Sprintf(format, args...))
	}
}
