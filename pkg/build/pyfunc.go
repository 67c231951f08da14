package build

import (
	"context"
	"fmt"
	"path"

	"github.com/mlflowctl/mlflowctl/pkg/ecr"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// DefaultPyfuncRepository is the repository the seed's labs pull from:
// the pyfunc repository of the default deployment "mlflow".
const DefaultPyfuncRepository = "mlflow-pyfunc"

// PyfuncRepository is the repository a deployment's bootstrap stack makes
// for serving images, <deployment>-pyfunc; for the default deployment that
// is DefaultPyfuncRepository, so the labs' image name keeps working.
func PyfuncRepository(deployment string) string { return deployment + "-pyfunc" }

// PushRequest is `mlflowctl push-container`.
type PushRequest struct {
	Deployment    string
	MLflowVersion string
	// Repository is where the image goes; empty is the deployment's own
	// (its bootstrap stack's PyfuncRepositoryUri), which must exist: a
	// repository made here first would collide with the stack's later.
	Repository string
	Builder    string // auto, codebuild, docker
	Platform   string
	// From is a `docker save` tarball pushed as it is, instead of building.
	From string
	// Changing, when set, is called once just before the first change in
	// AWS: errors after it are no longer bad usage (exit 2) but failures.
	Changing func()
}

// PushResult is the pushed serving image.
type PushResult struct {
	ImageURI   string `json:"imageUri"`
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest,omitempty"`
	Builder    string `json:"builder"`
	Built      bool   `json:"built"`
	// SourceURI is the content-hash tag the version tag points at.
	SourceURI string `json:"sourceUri,omitempty"`
}

// PushContainer builds and pushes the pyfunc serving image and tags it
// <repository>:<MLflow version>, as the seed's labs expect; or, with From,
// pushes a local image tarball under that tag.
func PushContainer(ctx context.Context, req PushRequest, env Env) (PushResult, error) {
	// Everything that can be wrong is checked before anything changes in AWS.
	if req.Repository == "" {
		repo, err := deploymentRepository(ctx, req.Deployment, env)
		if err != nil {
			return PushResult{}, err
		}
		req.Repository = repo
	}
	b, img, err := preparePush(ctx, req, env)
	if err != nil {
		return PushResult{}, err
	}
	if req.Changing != nil {
		req.Changing()
	}
	repo, err := ecr.EnsureRepository(ctx, env.Clients.ECR, req.Repository, map[string]string{"mlflowctl:deployment": req.Deployment})
	if err != nil {
		return PushResult{}, err
	}
	tag := VersionTag(req.MLflowVersion, req.Platform)
	out := PushResult{ImageURI: repo.URI + ":" + tag, Repository: repo.Name, Tag: tag}
	if req.From != "" {
		return pushTarball(ctx, req, env, repo, out)
	}
	res, err := Ensure(ctx, env.Clients.ECR, b, Request{Image: img, RepositoryURI: repo.URI, ExtraTags: []string{tag}}, env.Progress)
	if err != nil {
		return PushResult{}, err
	}
	out.Digest, out.Builder, out.Built, out.SourceURI = res.Digest, b.Name(), res.Built, res.URI
	return out, nil
}

// deploymentRepository is the bootstrap stack's pyfunc repository.
func deploymentRepository(ctx context.Context, deployment string, env Env) (string, error) {
	st, found, err := stacks.Read(ctx, env.Clients.Stacks, deployment, stacks.Bootstrap)
	if err != nil {
		return "", err
	}
	if !found {
		return "", &UsageError{Msg: fmt.Sprintf("deployment %s has no bootstrap stack (%s), which creates its repository %s: "+
			"run `mlflowctl up` first, or pass --repository NAME", deployment, st.Name, PyfuncRepository(deployment))}
	}
	if uri := st.Outputs[stacks.OutPyfuncRepositoryURI]; uri != "" {
		_, name := ecr.SplitURI(uri)
		return name, nil
	}
	return PyfuncRepository(deployment), nil
}

// VersionTag is the tag the seed's labs pull: the MLflow version, with
// "-arm64" for an arm64 image so it never replaces the amd64 one that
// SageMaker's x86 instances run.
func VersionTag(version, platform string) string {
	if platform == PlatformARM64 {
		return version + "-arm64"
	}
	return version
}

// preparePush checks the tarball, or renders the image and picks the
// builder (reading the bootstrap stack when CodeBuild will build).
func preparePush(ctx context.Context, req PushRequest, env Env) (Builder, Image, error) {
	if req.From != "" {
		if _, err := ecr.LoadTarball(req.From, ""); err != nil {
			return nil, Image{}, &UsageError{Msg: fmt.Sprintf("--from: %v", err)}
		}
		return nil, Image{}, nil
	}
	img, err := RenderPyfunc(req.MLflowVersion, req.Platform)
	if err != nil {
		return nil, Image{}, err
	}
	var boot Bootstrap
	if needsBootstrap(ctx, req.Builder, env) {
		if boot, err = ReadBootstrap(ctx, env.Clients.Stacks, req.Deployment); err != nil {
			return nil, Image{}, err
		}
	}
	b, err := Choose(ctx, req.Builder, env, boot)
	return b, img, err
}

func pushTarball(ctx context.Context, req PushRequest, env Env, repo ecr.Repository, out PushResult) (PushResult, error) {
	img, err := ecr.LoadTarball(req.From, "")
	if err != nil {
		return PushResult{}, err
	}
	auth, err := ecr.Login(ctx, env.Clients.ECR)
	if err != nil {
		return PushResult{}, err
	}
	registry, name := ecr.SplitURI(repo.URI)
	if env.Registry != "" {
		registry = env.Registry
	}
	quiet(env.Progress)("pushing " + path.Base(req.From) + " to " + out.ImageURI)
	digest, err := ecr.Push(ctx, img, registry+"/"+name+":"+out.Tag, auth, ecr.PushOptions{})
	if err != nil {
		return PushResult{}, err
	}
	out.Digest, out.Builder, out.Built = digest, "tarball", false
	return out, nil
}

// needsBootstrap: CodeBuild builds use the bootstrap stack's project and
// bucket; Docker builds need only ECR.
func needsBootstrap(ctx context.Context, mode string, env Env) bool {
	switch mode {
	case ModeDocker:
		return false
	case ModeCodeBuild:
		return true
	}
	host := env.DockerHost
	if host == "" {
		host = DockerHost()
	}
	return !DockerAnswers(ctx, host)
}
