package cli

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/build"
	"github.com/mlflowctl/mlflowctl/pkg/build/buildtest"
)

func motoConfig(t *testing.T, url string) aws.Config {
	t.Helper()
	cfg := (&mototest.Server{URL: url}).AWSConfig()
	cfg.RetryMaxAttempts = 0 // the SDK's default retries, as before
	return cfg
}

// bootstrapInMoto makes what `up` makes in the bootstrap stack for builds:
// the stack with its outputs and the CodeBuild project.
func bootstrapInMoto(t *testing.T, cfg aws.Config) {
	t.Helper()
	ctx := context.Background()
	tmpl := `{"Resources":{"Assets":{"Type":"AWS::S3::Bucket"}},"Outputs":{
"AssetsBucketName":{"Value":{"Ref":"Assets"}},
"CodeBuildProjectName":{"Value":"mlflow-images"}}}`
	if _, err := cloudformation.NewFromConfig(cfg).CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName: aws.String("mlflow-bootstrap"), TemplateBody: aws.String(tmpl)}); err != nil {
		t.Fatal(err)
	}
	if _, err := codebuild.NewFromConfig(cfg).CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:      aws.String("mlflow-images"),
		Source:    &cbtypes.ProjectSource{Type: cbtypes.SourceTypeS3, Location: aws.String("placeholder/builds/none.zip")},
		Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, ComputeType: cbtypes.ComputeTypeBuildGeneral1Medium,
			Image: aws.String("aws/codebuild/amazonlinux2-x86_64-standard:5.0"), PrivilegedMode: aws.Bool(true)},
		ServiceRole: aws.String("arn:aws:iam::123456789012:role/mlflow-codebuild"),
	}); err != nil {
		t.Fatal(err)
	}
}

// writeBuildLog plays CodeBuild: the log a build that pushed would write.
func writeBuildLog(t *testing.T, logs *cloudwatchlogs.Client, buildID, digest string) {
	ctx := context.Background()
	project, stream, _ := strings.Cut(buildID, ":")
	group := "/aws/codebuild/" + project
	_, _ = logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Error(err)
		return
	}
	now := time.Now().UnixMilli()
	var events []logtypes.InputLogEvent
	for i, l := range []string{"[Container] Entering phase BUILD", "Successfully built 0123456789ab", build.DigestMarker + digest} {
		events = append(events, logtypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(now + int64(i))})
	}
	if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events}); err != nil {
		t.Error(err)
	}
}

func TestPushContainerWithCodeBuildAgainstMoto(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	proxy := buildtest.Start(t, srv.URL)
	direct := motoConfig(t, srv.URL)
	bootstrapInMoto(t, direct)
	digest := "sha256:" + strings.Repeat("5e", 32)
	proxy.OnStartBuild = func(id string) { writeBuildLog(t, cloudwatchlogs.NewFromConfig(direct), id, digest) }

	out, stderr, err := runCLI(t, "push-container", "--builder", "codebuild", "--mlflow-version", "2.12.2",
		"--endpoint-url", proxy.URL, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var res build.PushResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	wantURI := "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc:2.12.2"
	if res.ImageURI != wantURI || res.Digest != digest || res.Builder != "codebuild" || !res.Built {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(stderr, "Successfully built 0123456789ab") {
		t.Errorf("build log not streamed to stderr:\n%s", stderr)
	}

	starts := proxy.Calls(".StartBuild")
	if len(starts) != 1 {
		t.Fatalf("%d StartBuild calls", len(starts))
	}
	var in struct {
		ProjectName, SourceTypeOverride, SourceLocationOverride, EnvironmentTypeOverride, ImageOverride, BuildspecOverride string
		PrivilegedModeOverride                                                                                             bool
		EnvironmentVariablesOverride                                                                                       []struct{ Name, Value, Type string }
	}
	if err := json.Unmarshal(starts[0].Body, &in); err != nil {
		t.Fatal(err)
	}
	img, _ := build.RenderPyfunc("2.12.2", build.PlatformAMD64)
	vars := map[string]string{}
	for _, v := range in.EnvironmentVariablesOverride {
		vars[v.Name] = v.Value
	}
	if in.ProjectName != "mlflow-images" || in.SourceTypeOverride != "S3" || !strings.HasSuffix(in.SourceLocationOverride, "/"+build.ContextKey(img)) ||
		in.EnvironmentTypeOverride != "LINUX_CONTAINER" || !in.PrivilegedModeOverride || !strings.Contains(in.BuildspecOverride, "docker build") {
		t.Errorf("StartBuild input %+v", in)
	}
	want := map[string]string{
		"IMAGE_REPOSITORY_URI": "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc",
		"IMAGE_TAGS":           img.Tag() + " 2.12.2",
		"DOCKERFILE":           "Dockerfile",
		"PLATFORM":             "linux/amd64",
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("StartBuild %s=%q, want %q", k, vars[k], v)
		}
	}
	repos, err := ecr.NewFromConfig(direct).DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"mlflow-pyfunc"}})
	if err != nil || !repos.Repositories[0].ImageScanningConfiguration.ScanOnPush {
		t.Fatalf("repository not created with scan on push: %v", err)
	}

	text, _, err := runCLI(t, "push-container", "--builder", "codebuild", "--mlflow-version", "2.12.2", "--endpoint-url", proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	if text != wantURI+"\n" {
		t.Fatalf("text output %q, want the URI alone", text)
	}
	t.Logf("stdout: %s", text)

	arm, _, err := runCLI(t, "push-container", "--builder", "codebuild", "--platform", "linux/arm64", "--endpoint-url", proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	if arm != "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc:3.18.0-arm64\n" {
		t.Fatalf("arm64 output %q", arm)
	}
	last := proxy.Calls(".StartBuild")
	if body := string(last[len(last)-1].Body); !strings.Contains(body, `"environmentTypeOverride":"ARM_CONTAINER"`) {
		t.Fatalf("arm64 StartBuild: %s", body)
	}
	t.Logf("StartBuild: project=%s source=%s:%s env=%s/%s privileged=%t vars=%v", in.ProjectName, in.SourceTypeOverride,
		in.SourceLocationOverride, in.EnvironmentTypeOverride, in.ImageOverride, in.PrivilegedModeOverride, vars)
}

func TestPushContainerFromTarball(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	var authorized atomic.Int64
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ECR accepts the token moto issued (AWS:<account>-auth-token) and nothing else.
		u, p, ok := r.BasicAuth()
		if !ok || u != "AWS" || p != mototest.Account+"-auth-token" {
			w.Header().Set("WWW-Authenticate", `Basic realm="ecr"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		authorized.Add(1)
		reg.ServeHTTP(w, r)
	}))
	defer rs.Close()
	host := strings.TrimPrefix(rs.URL, "http://")
	setVar(t, "MLFLOWCTL_ECR_REGISTRY", host)

	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "image.tar")
	tag, _ := name.NewTag("local/pyfunc:dev")
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCLI(t, "push-container", "--from", path, "--repository", "mlflow-pyfunc", "--mlflow-version", "3.18.0", "--endpoint-url", srv.URL, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var res build.PushResult
	_ = json.Unmarshal([]byte(out), &res)
	want, _ := img.Digest()
	if res.ImageURI != "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc:3.18.0" || res.Digest != want.String() || authorized.Load() == 0 {
		t.Fatalf("result %+v (authorized requests %d)", res, authorized.Load())
	}
	pulled, err := remote.Image(mustRef(t, host+"/mlflow-pyfunc:3.18.0"), remote.WithTransport(authTransport{}))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := pulled.Digest(); d != want {
		t.Fatalf("registry has %s, pushed %s", d, want)
	}
}

type authTransport struct{}

func (authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth("AWS", mototest.Account+"-auth-token")
	return http.DefaultTransport.RoundTrip(r)
}

func mustTag(t *testing.T, s string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(s)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPushContainerBadInput(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	// A real image: --from is read before any AWS call (junk is refused there).
	img, _ := random.Image(64, 1)
	image := filepath.Join(t.TempDir(), "image.tar")
	if err := tarball.WriteToFile(image, mustTag(t, "local/pyfunc:dev"), img); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--platform", "linux/386"}, "--platform"},
		{[]string{"--mlflow-version", "2.9.0"}, "--mlflow-version"},
		{[]string{"--builder", "kaniko"}, "--builder"},
		{[]string{"--repository", "Bad Name"}, "--repository"},
		{[]string{"--from", "/nonexistent/image.tar"}, "--from"},
		{[]string{"--builder", "codebuild", "--repository", "mine"}, "mlflow-bootstrap does not exist"},
		// Issue 22 item 3: without --repository the image goes to the
		// deployment's own repository, made by its bootstrap stack; pushing
		// before it exists would make a repository the stack then collides
		// with (RepositoryAlreadyExistsException), so it is refused.
		{[]string{"--from", image, "--name", "cb"}, "creates its repository cb-pyfunc: run `mlflowctl up` first"},
		{[]string{"--builder", "docker", "--name", "cb"}, "deployment cb has no bootstrap stack"},
	} {
		args := append([]string{"push-container", "--endpoint-url", srv.URL}, tc.args...)
		_, _, err := runCLI(t, args...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: want exit 2 naming %q, got %d: %v", tc.args, tc.want, exitCode(err), err)
		}
	}
	// Nothing was created on the way to those errors.
	repos, err := ecr.NewFromConfig(motoConfig(t, srv.URL)).DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{})
	if err != nil || len(repos.Repositories) != 0 {
		t.Fatalf("repositories after bad input: %v %v", repos, err)
	}
}
