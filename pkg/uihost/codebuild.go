package uihost

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"

	"github.com/mlflowctl/mlflowctl/pkg/build"
)

// CodeBuildStarter starts builds.
type CodeBuildStarter interface {
	StartBuild(ctx context.Context, in *codebuild.StartBuildInput, optFns ...func(*codebuild.Options)) (*codebuild.StartBuildOutput, error)
}

// The UI build runs on Amazon Linux 2023, whose image has every Node.js
// major the recipes use, on the large compute type: CRA's production
// build of MLflow's UI needs about 8 GB of heap.
const (
	uiBuildImage   = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
	uiBuildTimeout = 60 // minutes
	uiTailLines    = 30
)

// CodeBuildUI runs UI builds in the bootstrap stack's CodeBuild project,
// the same project images are built in, with the UI buildspec as override.
type CodeBuildUI struct {
	Starter CodeBuildStarter
	// Follower follows a started build's logs and status (pkg/build).
	Follower *build.CodeBuild
	Project  string
	Progress func(string)
}

// BuildUI starts the build and follows it; a failed build's error names
// its phase and ends with its last 30 log lines.
func (c CodeBuildUI) BuildUI(ctx context.Context, req BuildRequest) error {
	out, err := c.Starter.StartBuild(ctx, startInput(c.Project, req))
	if err != nil {
		return fmt.Errorf("start CodeBuild project %s: %w", c.Project, err)
	}
	id := aws.ToString(out.Build.Id)
	if c.Progress != nil {
		c.Progress("started CodeBuild build " + id)
	}
	follower := *c.Follower
	follower.TailLines = uiTailLines
	_, err = follower.Wait(ctx, id, c.Progress)
	return err
}

func startInput(project string, req BuildRequest) *codebuild.StartBuildInput {
	env := req.Env()
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	vars := make([]cbtypes.EnvironmentVariable, 0, len(names))
	for _, k := range names {
		vars = append(vars, cbtypes.EnvironmentVariable{Name: aws.String(k), Value: aws.String(env[k]), Type: cbtypes.EnvironmentVariableTypePlaintext})
	}
	return &codebuild.StartBuildInput{
		ProjectName:                  aws.String(project),
		SourceTypeOverride:           cbtypes.SourceTypeNoSource,
		BuildspecOverride:            aws.String(string(req.Buildspec)),
		EnvironmentTypeOverride:      cbtypes.EnvironmentTypeLinuxContainer,
		ImageOverride:                aws.String(uiBuildImage),
		ComputeTypeOverride:          cbtypes.ComputeTypeBuildGeneral1Large,
		PrivilegedModeOverride:       aws.Bool(false),
		TimeoutInMinutesOverride:     aws.Int32(uiBuildTimeout),
		EnvironmentVariablesOverride: vars,
	}
}
