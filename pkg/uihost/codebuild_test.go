package uihost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/build"
	"github.com/mlflowctl/mlflowctl/pkg/build/buildtest"
)

const uiProject = "mlflow-builds"

func motoCodeBuild(t *testing.T) (build.Clients, *buildtest.Proxy) {
	srv := mototest.Start(t)
	proxy := buildtest.Start(t, srv.URL)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(mototest.Region))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(proxy.URL)
	c := build.NewClients(awsx.NewClients(cfg, awsx.EmulatorFor(proxy.URL)))
	_, err = c.CodeBuild.(*codebuild.Client).CreateProject(context.Background(), &codebuild.CreateProjectInput{
		Name:      aws.String(uiProject),
		Source:    &cbtypes.ProjectSource{Type: cbtypes.SourceTypeS3, Location: aws.String("assets/builds/placeholder.zip")},
		Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer,
			ComputeType: cbtypes.ComputeTypeBuildGeneral1Medium, Image: aws.String("aws/codebuild/amazonlinux2-x86_64-standard:5.0")},
		ServiceRole: aws.String("arn:aws:iam::123456789012:role/mlflow-codebuild"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, proxy
}

// writeLog plays CodeBuild writing the build's log stream.
func writeLog(t *testing.T, logs *cloudwatchlogs.Client, buildID string, lines ...string) {
	t.Helper()
	buildtest.WriteLog(t, logs, uiProject, buildID, lines...)
}

func TestCodeBuildUIStartsTheUIBuildAgainstMoto(t *testing.T) {
	c, proxy := motoCodeBuild(t)
	spec, _ := Buildspec("3.18.0")
	req := BuildRequest{MLflowVersion: "3.18.0", Buildspec: spec, Bucket: "assets", SourceKey: SourceKey("3.18.0", "h"), OutputKey: CacheKey("3.18.0", "h")}
	var lines []string
	cb := CodeBuildUI{Starter: c.CodeBuild, Project: uiProject, Progress: func(s string) { lines = append(lines, s) },
		Follower: &build.CodeBuild{CodeBuild: c.CodeBuild, Logs: c.Logs, Project: uiProject, Poll: 10 * time.Millisecond}}
	proxy.OnStartBuild = func(id string) {
		writeLog(t, c.Logs.(*cloudwatchlogs.Client), id, "yarn install --immutable", "Compiled successfully.")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cb.BuildUI(ctx, req); err != nil {
		t.Fatal(err)
	}
	calls := proxy.Calls("StartBuild")
	if len(calls) != 1 {
		t.Fatalf("%d StartBuild calls", len(calls))
	}
	var in struct {
		ProjectName, BuildspecOverride, ComputeTypeOverride, ImageOverride, SourceTypeOverride string
		EnvironmentVariablesOverride                                                           []struct{ Name, Value string }
	}
	if err := json.Unmarshal(calls[0].Body, &in); err != nil {
		t.Fatal(err)
	}
	env := fmt.Sprint(in.EnvironmentVariablesOverride)
	if in.ProjectName != uiProject || in.BuildspecOverride != string(spec) || in.ComputeTypeOverride != "BUILD_GENERAL1_LARGE" ||
		in.SourceTypeOverride != "NO_SOURCE" || !strings.Contains(env, "{OUTPUT_KEY "+req.OutputKey+"}") || !strings.Contains(env, "{SOURCE_KEY "+req.SourceKey+"}") {
		t.Fatalf("StartBuild input %+v", in)
	}
	if got := strings.Join(lines, "\n"); !strings.Contains(got, "Compiled successfully.") {
		t.Fatalf("log lines not streamed:\n%s", got)
	}
}

// failedUIBuild stands in for CodeBuild on a path moto cannot produce: a
// UI build that fails in the BUILD phase.
type failedUIBuild struct{ polls int }

func (f *failedUIBuild) StartBuild(context.Context, *codebuild.StartBuildInput, ...func(*codebuild.Options)) (*codebuild.StartBuildOutput, error) {
	return &codebuild.StartBuildOutput{Build: &cbtypes.Build{Id: aws.String(uiProject + ":7d2c3a44-0000-4000-8000-000000000002")}}, nil
}

func (f *failedUIBuild) BatchGetBuilds(_ context.Context, in *codebuild.BatchGetBuildsInput, _ ...func(*codebuild.Options)) (*codebuild.BatchGetBuildsOutput, error) {
	f.polls++
	b := cbtypes.Build{Id: aws.String(in.Ids[0]), BuildStatus: cbtypes.StatusTypeInProgress}
	if f.polls >= 2 {
		b.BuildStatus = cbtypes.StatusTypeFailed
		b.Phases = []cbtypes.BuildPhase{{PhaseType: cbtypes.BuildPhaseTypeInstall, PhaseStatus: cbtypes.StatusTypeSucceeded},
			{PhaseType: cbtypes.BuildPhaseTypeBuild, PhaseStatus: cbtypes.StatusTypeFailed, Contexts: []cbtypes.PhaseContext{
				{Message: aws.String("Error while executing command: cd /tmp/ui && yarn build. Reason: exit status 1")}}}}
	}
	return &codebuild.BatchGetBuildsOutput{Builds: []cbtypes.Build{b}}, nil
}

func TestCodeBuildUIFailureShowsPhaseAndLast30Lines(t *testing.T) {
	c, _ := motoCodeBuild(t)
	fake := &failedUIBuild{}
	cb := CodeBuildUI{Starter: fake, Project: uiProject,
		Follower: &build.CodeBuild{CodeBuild: fake, Logs: c.Logs, Project: uiProject, Poll: 5 * time.Millisecond}}
	var log []string
	for i := range 45 {
		log = append(log, fmt.Sprintf("webpack line %d", i))
	}
	log = append(log, "Failed to compile.")
	writeLog(t, c.Logs.(*cloudwatchlogs.Client), uiProject+":7d2c3a44-0000-4000-8000-000000000002", log...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cb.BuildUI(ctx, BuildRequest{MLflowVersion: "2.12.2", Buildspec: []byte("version: 0.2")})
	var be *build.BuildError
	if !errors.As(err, &be) || be.Phase != "BUILD" || len(be.Lines) != 30 || be.Lines[29] != "Failed to compile." || be.Lines[0] != "webpack line 16" {
		t.Fatalf("want phase BUILD and the last 30 lines, got %v", err)
	}
}
