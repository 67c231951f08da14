package build

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/build/buildtest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

const (
	testBucket  = "mlflow-assets-123456789012"
	testProject = "mlflow-images"
)

func motoClients(t *testing.T) Clients {
	c, _ := motoClientsProxy(t)
	return c
}

// motoClientsProxy points the clients at moto through buildtest's proxy.
func motoClientsProxy(t *testing.T) (Clients, *buildtest.Proxy) {
	t.Helper()
	srv := mototest.Start(t)
	proxy := buildtest.Start(t, srv.URL)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(mototest.Region))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(proxy.URL)
	return NewClients(awsx.NewClients(cfg, awsx.EmulatorFor(proxy.URL))), proxy
}

// setupBootstrap makes what the bootstrap stack would: the assets bucket
// and the CodeBuild project.
func setupBootstrap(t *testing.T, c Clients) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.S3.(*s3.Client).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(testBucket)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CodeBuild.(*codebuild.Client).CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:      aws.String(testProject),
		Source:    &cbtypes.ProjectSource{Type: cbtypes.SourceTypeS3, Location: aws.String(testBucket + "/builds/placeholder.zip")},
		Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{
			Type: cbtypes.EnvironmentTypeLinuxContainer, ComputeType: cbtypes.ComputeTypeBuildGeneral1Medium,
			Image: aws.String("aws/codebuild/amazonlinux2-x86_64-standard:5.0"), PrivilegedMode: aws.Bool(true),
		},
		ServiceRole: aws.String("arn:aws:iam::123456789012:role/mlflow-codebuild"),
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeBuildLog plays CodeBuild's part: it writes the build's log lines.
func writeBuildLog(t *testing.T, logs *cloudwatchlogs.Client, buildID string, lines ...string) {
	t.Helper()
	buildtest.WriteLog(t, logs, testProject, buildID, lines...)
}

type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) add(s string) { l.mu.Lock(); l.got = append(l.got, s); l.mu.Unlock() }

func (l *lines) text() string { l.mu.Lock(); defer l.mu.Unlock(); return strings.Join(l.got, "\n") }

func TestCodeBuildAgainstMoto(t *testing.T) {
	c := motoClients(t)
	setupBootstrap(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // bounded: a build that never ends fails the test
	defer cancel()
	cb := &CodeBuild{S3: c.S3, CodeBuild: c.CodeBuild, Logs: c.Logs, Bucket: testBucket, Project: testProject, Poll: 10 * time.Millisecond}
	img, err := RenderPyfunc("3.18.0", PlatformARM64)
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Image: img, RepositoryURI: "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc", ExtraTags: []string{"3.18.0"}}
	var progress lines
	id, err := cb.Start(ctx, req, progress.add)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, testProject+":") {
		t.Fatalf("build id %q", id)
	}

	// The uploaded context is the deterministic zip, at a key named by the tag.
	obj, err := c.S3.(*s3.Client).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(ContextKey(img))})
	if err != nil {
		t.Fatalf("context not uploaded: %v", err)
	}
	uploaded, _ := io.ReadAll(obj.Body)
	want, _ := img.Zip()
	if !bytes.Equal(uploaded, want) {
		t.Fatal("uploaded context differs from the image's zip")
	}
	if zr, err := zip.NewReader(bytes.NewReader(uploaded), int64(len(uploaded))); err != nil || len(zr.File) != 2 {
		t.Fatalf("context zip: %v", err)
	}

	// moto records the build but never runs it; it reports the build
	// SUCCEEDED from the first BatchGetBuilds on. The test writes the log.
	digest := "sha256:" + strings.Repeat("ab", 32)
	writeBuildLog(t, c.Logs.(*cloudwatchlogs.Client), id,
		"[Container] Entering phase PRE_BUILD", "Login Succeeded", "Step 1/12 : FROM ubuntu:22.04",
		"3.18.0: digest: "+digest+" size: 4321", DigestMarker+digest)
	got, err := cb.Wait(ctx, id, progress.add)
	if err != nil {
		t.Fatal(err)
	}
	if got != digest {
		t.Fatalf("digest %q, want %q", got, digest)
	}
	out := progress.text()
	for _, want := range []string{"uploaded the pyfunc build context", "started CodeBuild build " + id, "Step 1/12 : FROM ubuntu:22.04", DigestMarker} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "Login Succeeded") != 1 {
		t.Errorf("log lines repeated or lost:\n%s", out)
	}
}

// failingCodeBuild stands in for CodeBuild's StartBuild/BatchGetBuilds on
// the path moto cannot produce: a build that fails in a phase.
type failingCodeBuild struct {
	start *codebuild.StartBuildInput
	polls int
}

func (f *failingCodeBuild) StartBuild(_ context.Context, in *codebuild.StartBuildInput, _ ...func(*codebuild.Options)) (*codebuild.StartBuildOutput, error) {
	f.start = in
	return &codebuild.StartBuildOutput{Build: &cbtypes.Build{Id: aws.String(testProject + ":0b5e9c1e-0000-4000-8000-000000000001"), BuildStatus: cbtypes.StatusTypeInProgress}}, nil
}

func (f *failingCodeBuild) BatchGetBuilds(_ context.Context, in *codebuild.BatchGetBuildsInput, _ ...func(*codebuild.Options)) (*codebuild.BatchGetBuildsOutput, error) {
	f.polls++
	b := cbtypes.Build{Id: aws.String(in.Ids[0]), BuildStatus: cbtypes.StatusTypeInProgress, Phases: []cbtypes.BuildPhase{
		{PhaseType: cbtypes.BuildPhaseTypeSubmitted, PhaseStatus: cbtypes.StatusTypeSucceeded},
		{PhaseType: cbtypes.BuildPhaseTypePreBuild, PhaseStatus: cbtypes.StatusTypeSucceeded},
	}}
	if f.polls >= 3 {
		b.BuildStatus = cbtypes.StatusTypeFailed
		b.Phases = append(b.Phases, cbtypes.BuildPhase{PhaseType: cbtypes.BuildPhaseTypeBuild, PhaseStatus: cbtypes.StatusTypeFailed,
			Contexts: []cbtypes.PhaseContext{{StatusCode: aws.String("COMMAND_EXECUTION_ERROR"), Message: aws.String("Error while executing command: docker build. Reason: exit status 1")}}},
			cbtypes.BuildPhase{PhaseType: cbtypes.BuildPhaseTypePostBuild, PhaseStatus: cbtypes.StatusTypeSucceeded})
	}
	return &codebuild.BatchGetBuildsOutput{Builds: []cbtypes.Build{b}}, nil
}

func TestCodeBuildFailureNamesPhaseAndLastLines(t *testing.T) {
	c := motoClients(t)
	setupBootstrap(t, c)
	fake := &failingCodeBuild{}
	cb := &CodeBuild{S3: c.S3, CodeBuild: fake, Logs: c.Logs, Bucket: testBucket, Project: testProject, Poll: 5 * time.Millisecond}
	img, _ := RenderServer(testConfig("3.18.0"), "us-east-1", PlatformAMD64)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // bounded: a build that never ends fails the test
	defer cancel()
	id, err := cb.Start(ctx, Request{Image: img, RepositoryURI: "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-server"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logLines []string
	for i := range 30 {
		logLines = append(logLines, "pip line "+string(rune('a'+i%26)))
	}
	logLines = append(logLines, "ERROR: No matching distribution found for mlflow==3.18.0")
	writeBuildLog(t, c.Logs.(*cloudwatchlogs.Client), id, logLines...)
	_, err = cb.Wait(ctx, id, nil)
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("want a BuildError, got %v", err)
	}
	if be.Phase != "BUILD" || be.Status != "FAILED" || !strings.Contains(be.Reason, "docker build") {
		t.Fatalf("build error %+v", be)
	}
	if len(be.Lines) != lastLines || be.Lines[len(be.Lines)-1] != "ERROR: No matching distribution found for mlflow==3.18.0" {
		t.Fatalf("last lines %q", be.Lines)
	}
	if !strings.Contains(err.Error(), "in phase BUILD") {
		t.Fatalf("message: %v", err)
	}
	if fake.polls < 3 {
		t.Fatalf("stopped after %d polls", fake.polls)
	}
}

func TestStartBuildInput(t *testing.T) {
	c := motoClients(t)
	setupBootstrap(t, c)
	for _, tc := range []struct {
		platform string
		envType  cbtypes.EnvironmentType
		image    string
	}{
		{PlatformAMD64, cbtypes.EnvironmentTypeLinuxContainer, "aws/codebuild/amazonlinux2-x86_64-standard:5.0"},
		{PlatformARM64, cbtypes.EnvironmentTypeArmContainer, "aws/codebuild/amazonlinux2-aarch64-standard:3.0"},
	} {
		fake := &failingCodeBuild{}
		cb := &CodeBuild{S3: c.S3, CodeBuild: fake, Logs: c.Logs, Bucket: testBucket, Project: testProject}
		img, _ := RenderPyfunc("2.12.2", tc.platform)
		repo := "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc"
		if _, err := cb.Start(context.Background(), Request{Image: img, RepositoryURI: repo, ExtraTags: []string{"2.12.2"}}, nil); err != nil {
			t.Fatal(err)
		}
		in := fake.start
		vars := map[string]string{}
		for _, v := range in.EnvironmentVariablesOverride {
			vars[aws.ToString(v.Name)] = aws.ToString(v.Value)
			if v.Type != cbtypes.EnvironmentVariableTypePlaintext {
				t.Errorf("%s is %s", aws.ToString(v.Name), v.Type)
			}
		}
		want := map[string]string{"IMAGE_REPOSITORY_URI": repo, "IMAGE_TAGS": img.Tag() + " 2.12.2", "DOCKERFILE": "Dockerfile", "PLATFORM": tc.platform}
		for k, v := range want {
			if vars[k] != v {
				t.Errorf("%s: %s=%q, want %q", tc.platform, k, vars[k], v)
			}
		}
		if aws.ToString(in.ProjectName) != testProject || in.SourceTypeOverride != cbtypes.SourceTypeS3 ||
			aws.ToString(in.SourceLocationOverride) != testBucket+"/"+ContextKey(img) ||
			in.EnvironmentTypeOverride != tc.envType || aws.ToString(in.ImageOverride) != tc.image ||
			!aws.ToBool(in.PrivilegedModeOverride) || !strings.Contains(aws.ToString(in.BuildspecOverride), DigestMarker) {
			t.Errorf("%s: StartBuild input %+v", tc.platform, in)
		}
	}
}
