package build

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/ecr"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// Parameters of the server stack that take the image URIs.
const (
	ParamServerImage  = "ServerImage"
	ParamGatewayImage = "GatewayImage"
)

// Builder modes (config builder, --builder).
const (
	ModeAuto      = "auto"
	ModeCodeBuild = "codebuild"
	ModeDocker    = "docker"
)

// ECRAPI is every ECR call image builds make.
type ECRAPI interface {
	ecr.RepositoryAPI
	ecr.AuthAPI
	ecr.ImageAPI
}

// Clients are the AWS clients image builds use.
type Clients struct {
	S3        S3API
	CodeBuild CodeBuildAPI
	Logs      LogsAPI
	ECR       ECRAPI
	Stacks    StacksAPI
}

// NewClients hands out the clients of one command (awsx.Clients: the
// emulator setting decides path-style S3 and CodeBuild timestamps there).
func NewClients(c *awsx.Clients) Clients {
	return Clients{S3: c.S3(), CodeBuild: c.CodeBuild(), Logs: c.Logs(), ECR: c.ECR(), Stacks: c.CloudFormation()}
}

// Env is what building needs besides the configuration.
type Env struct {
	Clients  Clients
	Region   string
	Progress Progress
	// DockerHost is where to look for a daemon (default DockerHost()).
	DockerHost string
	// Registry replaces the ECR registry host for pushes from this machine
	// (tests; MLFLOWCTL_ECR_REGISTRY).
	Registry string
	// Poll is the CodeBuild status interval (default 5 s).
	Poll time.Duration
}

// Choose picks the builder: docker when asked or when auto finds a
// daemon, CodeBuild otherwise (it needs the bootstrap stack's project).
func Choose(ctx context.Context, mode string, env Env, boot Bootstrap) (Builder, error) {
	host := env.DockerHost
	if host == "" {
		host = DockerHost()
	}
	docker := &Docker{ECR: env.Clients.ECR, Registry: env.Registry}
	switch mode {
	case ModeDocker:
		if !DockerAnswers(ctx, host) {
			return nil, usageErrorf("builder docker: no Docker daemon answers at %s: start Docker, or use --builder codebuild", host)
		}
		return docker, nil
	case ModeAuto, "":
		if DockerAnswers(ctx, host) {
			return docker, nil
		}
		fallthrough
	case ModeCodeBuild:
		if boot.CodeBuildProject == "" || boot.AssetsBucket == "" {
			return nil, &MissingOutputsError{Outputs: []string{stacks.OutCodeBuildProject, stacks.OutAssetsBucket}}
		}
		return &CodeBuild{S3: env.Clients.S3, CodeBuild: env.Clients.CodeBuild, Logs: env.Clients.Logs,
			Bucket: boot.AssetsBucket, Project: boot.CodeBuildProject, Poll: env.Poll}, nil
	}
	return nil, usageErrorf("builder %q is not a builder: use auto, codebuild or docker", mode)
}

// Ensure returns the image if ECR already has its content-hash tag (giving
// it any missing extra tag) and builds it otherwise.
func Ensure(ctx context.Context, images ecr.ImageAPI, b Builder, req Request, progress Progress) (Result, error) {
	progress = quiet(progress)
	_, repo := ecr.SplitURI(req.RepositoryURI)
	tag := req.Image.Tag()
	uri := req.RepositoryURI + ":" + tag
	digest, ok, err := ecr.ImageDigest(ctx, images, repo, tag)
	if err != nil {
		return Result{}, err
	}
	if ok {
		progress(fmt.Sprintf("%s is already in ECR: not rebuilding", uri))
		for _, extra := range req.Tags()[1:] {
			if d, has, err := ecr.ImageDigest(ctx, images, repo, extra); err != nil {
				return Result{}, err
			} else if !has || d != digest {
				if err := ecr.Retag(ctx, images, repo, tag, extra); err != nil {
					return Result{}, err
				}
			}
		}
		return Result{URI: uri, Digest: digest, Built: false}, nil
	}
	progress(fmt.Sprintf("building %s with %s", uri, b.Name()))
	res, err := b.Build(ctx, req, progress)
	if err != nil {
		return Result{}, err
	}
	if res.Digest == "" {
		d, ok, err := ecr.ImageDigest(ctx, images, repo, tag)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return Result{}, fmt.Errorf("the %s build of %s succeeded but ECR has no such tag: check the build log", b.Name(), uri)
		}
		res.Digest = d
	}
	return res, nil
}

// EnsureServerImages builds (or finds) the tracking server image and, on
// MLflow 2.x with the gateway enabled, the gateway image, and returns the
// server stack's ServerImage and GatewayImage parameters. server.image and
// gateway.image in the configuration are used as they are, unbuilt.
func EnsureServerImages(ctx context.Context, cfg config.Config, deps deploy.Outputs, env Env) (map[string]string, error) {
	boot := BootstrapFrom(deps[stacks.Bootstrap])
	params := map[string]string{}
	type job struct {
		param, override, repo string
		render                func() (Image, error)
	}
	platform := PlatformFor(cfg.Server.Architecture)
	jobs := []job{{ParamServerImage, cfg.Server.Image, boot.ServerRepositoryURI,
		func() (Image, error) { return RenderServer(cfg, env.Region, platform) }}}
	if cfg.UsesSeparateGateway() {
		gwPlatform := PlatformFor(cfg.Gateway.Architecture)
		jobs = append(jobs, job{ParamGatewayImage, cfg.Gateway.Image, boot.GatewayRepositoryURI,
			func() (Image, error) { return RenderGateway(cfg, env.Region, gwPlatform) }})
	}
	var builder Builder
	for _, j := range jobs {
		if j.override != "" {
			params[j.param] = j.override
			continue
		}
		img, err := j.render()
		if err != nil {
			return nil, err
		}
		if j.repo == "" {
			return nil, &MissingOutputsError{Outputs: []string{repositoryOutput(j.param)}, InUp: true}
		}
		if builder == nil {
			if builder, err = Choose(ctx, cfg.Builder, env, boot); err != nil {
				if missing, ok := errors.AsType[*MissingOutputsError](err); ok {
					return nil, &MissingOutputsError{Outputs: missing.Outputs, InUp: true} // we are inside up
				}
				return nil, err
			}
		}
		res, err := Ensure(ctx, env.Clients.ECR, builder, Request{Image: img, RepositoryURI: j.repo}, env.Progress)
		if err != nil {
			return nil, err
		}
		params[j.param] = res.URI
	}
	return params, nil
}

// repositoryOutput is the bootstrap output naming the image parameter's
// repository.
func repositoryOutput(param string) string {
	if param == ParamGatewayImage {
		return stacks.OutGatewayRepositoryURI
	}
	return stacks.OutServerRepositoryURI
}
