package uihost

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/patch"
)

// UIBuilder runs the UI build in AWS: it gets the sources from the assets
// bucket at SourceKey and leaves the site zip at OutputKey.
type UIBuilder interface {
	BuildUI(ctx context.Context, req BuildRequest) error
}

// BuildRequest is one UI build.
type BuildRequest struct {
	MLflowVersion string
	Buildspec     []byte
	Bucket        string
	SourceKey     string
	OutputKey     string
}

// Env is the build's environment, as the buildspec reads it.
func (r BuildRequest) Env() map[string]string {
	return map[string]string{"ASSETS_BUCKET": r.Bucket, "SOURCE_KEY": r.SourceKey, "OUTPUT_KEY": r.OutputKey}
}

// Publisher builds the patched UI (or finds it in the cache) and hosts it.
type Publisher struct {
	Bucket   Bucket
	Builder  UIBuilder
	Amplify  Deployer
	Progress func(string)
}

// PublishInput says what to publish where.
type PublishInput struct {
	MLflowVersion string
	// SourceDir is the patched mlflow/server/js directory.
	SourceDir string
	// PatchHash identifies the applied patch series.
	PatchHash string
	AppID     string
	Branch    string
	Settings  patch.LoginSettings
	// Rebuild ignores a cached build.
	Rebuild bool
}

// Result says what Publish did.
type Result struct {
	// Path is prebuilt or source; Reason says why.
	Path   string `json:"path"`
	Reason string `json:"reason"`
	// Wheel is the mlflow wheel the prebuilt path used (name and sha256).
	Wheel string `json:"wheel,omitempty"`
	// CacheHit and BuildKey are the source path's CodeBuild cache.
	CacheHit bool   `json:"cacheHit"`
	BuildKey string `json:"buildKey,omitempty"`
	JobID    string `json:"amplifyJobId"`
	URL      string `json:"url"`
}

// Publish makes sure the build of (version, patch hash) exists, adds the
// deployment's login settings, and deploys the site to Amplify.
func (p Publisher) Publish(ctx context.Context, in PublishInput) (Result, error) {
	res := Result{Path: PathSource, BuildKey: CacheKey(in.MLflowVersion, in.PatchHash), URL: in.Settings.RedirectURI}
	hit, err := p.Bucket.Exists(ctx, res.BuildKey)
	if err != nil {
		return res, err
	}
	res.CacheHit = hit && !in.Rebuild
	if res.CacheHit {
		p.say("UI build for MLflow %s found in the cache (s3://%s/%s): no build needed", in.MLflowVersion, p.Bucket.Name, res.BuildKey)
	} else if err := p.build(ctx, in, res.BuildKey); err != nil {
		return res, err
	}
	build, err := p.Bucket.Get(ctx, res.BuildKey)
	if err != nil {
		return res, err
	}
	settings, err := in.Settings.JSON()
	if err != nil {
		return res, err
	}
	site, err := Site(build, map[string][]byte{SettingsFile: settings})
	if err != nil {
		return res, err
	}
	p.say("Deploying the UI to Amplify app %s, branch %s", in.AppID, in.Branch)
	res.JobID, err = p.Amplify.Deploy(ctx, in.AppID, in.Branch, site)
	return res, err
}

func (p Publisher) build(ctx context.Context, in PublishInput, outputKey string) error {
	spec, err := Buildspec(in.MLflowVersion)
	if err != nil {
		return err
	}
	src, err := ZipDir(in.SourceDir)
	if err != nil {
		return err
	}
	req := BuildRequest{MLflowVersion: in.MLflowVersion, Buildspec: spec, Bucket: p.Bucket.Name,
		SourceKey: SourceKey(in.MLflowVersion, in.PatchHash), OutputKey: outputKey}
	p.say("Uploading the patched UI sources (%d KiB) to s3://%s/%s", len(src)/1024, req.Bucket, req.SourceKey)
	if err := p.Bucket.Put(ctx, req.SourceKey, src); err != nil {
		return err
	}
	p.say("Building the MLflow %s UI in CodeBuild", in.MLflowVersion)
	if err := p.Builder.BuildUI(ctx, req); err != nil {
		return fmt.Errorf("build the MLflow UI: %w", err)
	}
	ok, err := p.Bucket.Exists(ctx, outputKey)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the UI build finished but left no site at s3://%s/%s", req.Bucket, outputKey)
	}
	return nil
}

func (p Publisher) say(format string, args ...any) {
	if p.Progress != nil {
		p.Progress(fmt.Sprintf(format, args...))
	}
}

// skipDirs are never part of the UI sources: dependencies and old output
// are rebuilt in CodeBuild, and .git is history.
var skipDirs = map[string]bool{"node_modules": true, "build": true, ".git": true}

// ZipDir zips a directory tree deterministically, without skipDirs.
func ZipDir(root string) ([]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("zip the UI sources in %s: %w", root, err)
	}
	if _, ok := files["package.json"]; !ok {
		return nil, fmt.Errorf("%s has no package.json: it is not MLflow's UI directory (mlflow/server/js)", strings.TrimSuffix(root, "/"))
	}
	return DeterministicZip(files)
}
