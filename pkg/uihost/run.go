package uihost

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/build"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/patch"
	"github.com/mlflowctl/mlflowctl/pkg/plural"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// RunOptions tune Run.
type RunOptions struct {
	// Rebuild ignores a cached CodeBuild build (--rebuild-ui; source path).
	Rebuild bool
	// Progress gets one line per step and build log line.
	Progress func(string)
	// CloneProgress gets git's clone progress (a terminal), or nil.
	CloneProgress io.Writer
	// CacheDir holds clones (default patch.DefaultCacheDir()).
	CacheDir string
	// WheelCacheDir holds mlflow wheels (default DefaultWheelCacheDir()).
	WheelCacheDir string
	// Poll is the CodeBuild and Amplify status interval (defaults: 5 s, 1 s).
	Poll time.Duration
}

// MissingOutputsError says a stack the UI needs is not deployed yet.
type MissingOutputsError struct{ What string }

func (e *MissingOutputsError) Error() string {
	return e.What
}

// Hint says what deploys the stacks the UI needs.
func (e *MissingOutputsError) Hint() string {
	return "run `mlflowctl up` first (the UI is hosted by the deployment's api and ui stacks)"
}

// ExitCode marks an undeployed deployment as bad usage.
func (e *MissingOutputsError) ExitCode() int { return 2 }

// Run hosts the patched MLflow UI on the deployment's Amplify app, by the
// path Choose picks: the released UI from the mlflow wheel, patched in
// place (default), or a clone + patch series + CodeBuild build (or its
// cached result). outs are the stack outputs.
func Run(ctx context.Context, clients *awsx.Clients, cfg config.Config, outs deploy.Outputs, o RunOptions) (Result, error) {
	choice, err := Choose(cfg)
	if err != nil {
		return Result{}, err
	}
	say(o.Progress, "UI path %s", choice)
	if o.Rebuild && choice.Path == PathPrebuilt {
		say(o.Progress, "--rebuild-ui applies to the source path: the prebuilt path builds nothing")
	}
	boot := build.BootstrapFrom(outs[stacks.Bootstrap])
	if boot.AssetsBucket == "" || (choice.Path == PathSource && boot.CodeBuildProject == "") {
		return Result{}, &MissingOutputsError{What: fmt.Sprintf("stack %s-%s has no %s/%s output", cfg.Name, stacks.Bootstrap, stacks.OutAssetsBucket, stacks.OutCodeBuildProject)}
	}
	target, err := hostingTarget(clients.Region(), cfg, outs)
	if err != nil {
		return Result{}, err
	}
	res, err := publish(ctx, clients, cfg, boot, choice, target, o)
	res.Path, res.Reason = choice.Path, choice.Reason
	return res, err
}

// target is where the UI goes and the login settings it gets.
type target struct {
	AppID, Branch string
	Settings      patch.LoginSettings
}

func hostingTarget(region string, cfg config.Config, outs deploy.Outputs) (target, error) {
	api := outs[stacks.API]
	t := target{AppID: api[stacks.OutAmplifyAppID], Branch: outs[stacks.UI][stacks.OutAmplifyBranch]}
	if t.AppID == "" {
		return t, &MissingOutputsError{What: fmt.Sprintf("stack %s-%s has no %s output", cfg.Name, stacks.API, stacks.OutAmplifyAppID)}
	}
	if t.Branch == "" {
		return t, &MissingOutputsError{What: fmt.Sprintf("stack %s-%s has no %s output", cfg.Name, stacks.UI, stacks.OutAmplifyBranch)}
	}
	var err error
	t.Settings, err = SettingsFromOutputs(region, cfg.Authorizer.TokenUse, api)
	return t, err
}

func publish(ctx context.Context, clients *awsx.Clients, cfg config.Config, boot build.Bootstrap, choice Choice, t target, o RunOptions) (Result, error) {
	p := publisher(clients, boot, o)
	if choice.Path == PathPrebuilt {
		bucket := p.Bucket
		return p.PublishPrebuilt(ctx, PrebuiltInput{
			MLflowVersion: cfg.MLflowVersion, Insertion: choice.Insertion,
			Wheels: Wheels{Index: cfg.UI.PackageIndex, CacheDir: o.WheelCacheDir, Bucket: &bucket, Progress: o.Progress},
			AppID:  t.AppID, Branch: t.Branch, Settings: t.Settings,
		})
	}
	src, err := prepareSources(ctx, cfg, o)
	if err != nil {
		return Result{}, err
	}
	return p.Publish(ctx, PublishInput{
		MLflowVersion: cfg.MLflowVersion, SourceDir: filepath.Join(src.Dir, "mlflow", "server", "js"),
		PatchHash: src.SeriesHash, AppID: t.AppID, Branch: t.Branch, Settings: t.Settings, Rebuild: o.Rebuild,
	})
}

func prepareSources(ctx context.Context, cfg config.Config, o RunOptions) (*patch.Result, error) {
	series, err := patch.FullSeries(cfg.UI.Patches)
	if err != nil {
		return nil, err
	}
	say(o.Progress, "Cloning %s at %s and applying %s", cfg.UI.Repository, patch.RefForVersion(cfg.MLflowVersion), plural.Count(len(series), "patch file"))
	return patch.Prepare(ctx, patch.CloneOptions{
		URL: cfg.UI.Repository, Ref: patch.RefForVersion(cfg.MLflowVersion), CacheDir: o.CacheDir, Progress: o.CloneProgress,
	}, series)
}

func publisher(all *awsx.Clients, boot build.Bootstrap, o RunOptions) Publisher {
	clients := build.NewClients(all)
	s3c := all.S3()
	follower := &build.CodeBuild{CodeBuild: clients.CodeBuild, Logs: clients.Logs, Project: boot.CodeBuildProject, Poll: o.Poll}
	return Publisher{
		Bucket:   Bucket{S3: s3c, Name: boot.AssetsBucket},
		Builder:  CodeBuildUI{Starter: clients.CodeBuild, Follower: follower, Project: boot.CodeBuildProject, Progress: o.Progress},
		Amplify:  Deployer{Amplify: all.Amplify(), Poll: o.Poll, Progress: o.Progress},
		Progress: o.Progress,
	}
}

func say(progress func(string), format string, args ...any) {
	if progress != nil {
		progress(fmt.Sprintf(format, args...))
	}
}
