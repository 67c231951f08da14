package build

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/ecr"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// countingBuilder "builds" by putting a manifest into moto's ECR under
// every tag, as a real build's push would.
type countingBuilder struct {
	api    *awsecr.Client
	builds []Request
}

func (b *countingBuilder) Name() string { return "counting" }

func (b *countingBuilder) Build(ctx context.Context, req Request, _ Progress) (Result, error) {
	b.builds = append(b.builds, req)
	img, err := random.Image(128, 1)
	if err != nil {
		return Result{}, err
	}
	m, _ := img.RawManifest()
	_, repo := ecr.SplitURI(req.RepositoryURI)
	for _, tag := range req.Tags() {
		if _, err := b.api.PutImage(ctx, &awsecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(string(m)), ImageTag: aws.String(tag)}); err != nil {
			return Result{}, err
		}
	}
	return Result{URI: req.RepositoryURI + ":" + req.Image.Tag(), Built: true}, nil
}

func TestEnsureBuildsOnceThenFindsTheTag(t *testing.T) {
	c := motoClients(t)
	api := c.ECR.(*awsecr.Client)
	ctx := context.Background()
	repo, err := ecr.EnsureRepository(ctx, api, "mlflow-pyfunc", nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &countingBuilder{api: api}
	img, _ := RenderPyfunc("3.18.0", PlatformAMD64)
	req := Request{Image: img, RepositoryURI: repo.URI, ExtraTags: []string{"3.18.0"}}
	first, err := Ensure(ctx, api, b, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Built || len(b.builds) != 1 || !strings.HasPrefix(first.Digest, "sha256:") || first.URI != repo.URI+":"+img.Tag() {
		t.Fatalf("first ensure %+v after %d builds", first, len(b.builds))
	}
	second, err := Ensure(ctx, api, b, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.Built || len(b.builds) != 1 || second.URI != first.URI {
		t.Fatalf("second ensure rebuilt: %+v after %d builds", second, len(b.builds))
	}
	// The version tag moved elsewhere: it is put back on the image, unbuilt.
	other, _ := random.Image(64, 1)
	m, _ := other.RawManifest()
	if _, err := api.PutImage(ctx, &awsecr.PutImageInput{RepositoryName: aws.String("mlflow-pyfunc"), ImageManifest: aws.String(string(m)), ImageTag: aws.String("3.18.0")}); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(ctx, api, b, req, nil); err != nil {
		t.Fatal(err)
	}
	d, _, _ := ecr.ImageDigest(ctx, api, "mlflow-pyfunc", "3.18.0")
	if d != first.Digest || len(b.builds) != 1 {
		t.Fatalf("version tag points at %s, want %s (builds %d)", d, first.Digest, len(b.builds))
	}
}

func TestEnsureServerImages(t *testing.T) {
	c := motoClients(t)
	api := c.ECR.(*awsecr.Client)
	ctx := context.Background()
	server, _ := ecr.EnsureRepository(ctx, api, "mlflow-server", nil)
	gateway, _ := ecr.EnsureRepository(ctx, api, "mlflow-gateway", nil)
	deps := deploy.Outputs{stacks.Bootstrap: {
		stacks.OutServerRepositoryURI: server.URI, stacks.OutGatewayRepositoryURI: gateway.URI,
		stacks.OutAssetsBucket: testBucket, stacks.OutCodeBuildProject: testProject,
	}}
	// Every image is already in ECR: nothing is built, so no builder is
	// chosen and the parameters name the content-hash tags.
	cfg := testConfig("2.12.2")
	b := &countingBuilder{api: api}
	env := Env{Clients: c, Region: cfg.Region, DockerHost: "unix://" + filepath.Join(t.TempDir(), "none.sock")}
	for _, kind := range []Kind{Server, Gateway} {
		var img Image
		var repo string
		if kind == Server {
			img, _ = RenderServer(cfg, cfg.Region, PlatformAMD64)
			repo = server.URI
		} else {
			img, _ = RenderGateway(cfg, cfg.Region, PlatformAMD64)
			repo = gateway.URI
		}
		if _, err := Ensure(ctx, api, b, Request{Image: img, RepositoryURI: repo}, nil); err != nil {
			t.Fatal(err)
		}
	}
	params, err := EnsureServerImages(ctx, cfg, deps, env)
	if err != nil {
		t.Fatal(err)
	}
	srvImg, _ := RenderServer(cfg, cfg.Region, PlatformAMD64)
	gwImg, _ := RenderGateway(cfg, cfg.Region, PlatformAMD64)
	if params[ParamServerImage] != server.URI+":"+srvImg.Tag() || params[ParamGatewayImage] != gateway.URI+":"+gwImg.Tag() || len(b.builds) != 2 {
		t.Fatalf("params %v after %d builds", params, len(b.builds))
	}

	// MLflow 3: no gateway image; overrides are taken as they are.
	cfg3 := testConfig("3.18.0")
	cfg3.Server.Image = "public.ecr.aws/acme/mlflow:3.18.0"
	params, err = EnsureServerImages(ctx, cfg3, deps, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(params) != 1 || params[ParamServerImage] != cfg3.Server.Image {
		t.Fatalf("MLflow 3 with server.image: %v", params)
	}

	// Something to build and no bootstrap outputs. EnsureServerImages runs
	// inside up, right after up deployed the bootstrap stack, so this is
	// not bad input (exit 2 only before any change) and "run mlflowctl up"
	// would name the command that just ran (issue 22 item 4). It names
	// the missing outputs and where to look instead.
	cfg3.Server.Image = ""
	for name, outs := range map[string]map[string]string{
		"no builder outputs":   {stacks.OutServerRepositoryURI: server.URI},
		"no repository output": {stacks.OutAssetsBucket: testBucket, stacks.OutCodeBuildProject: testProject},
	} {
		_, err = EnsureServerImages(ctx, cfg3, deploy.Outputs{stacks.Bootstrap: outs}, env)
		var missing *MissingOutputsError
		if err == nil || exitCode(err) != 1 || !errors.As(err, &missing) || strings.Contains(err.Error(), "run `mlflowctl up`") ||
			!strings.Contains(err.Error(), "describe-stacks") {
			t.Fatalf("%s: want a MissingOutputsError (exit 1) that names the outputs and how to read them, not `run mlflowctl up`, got %T %v", name, err, err)
		}
	}
}

// TestChooseWithoutABootstrapStackPointsToUp: push-container runs outside
// up, so there "run mlflowctl up" is the way to create the stack.
func TestChooseWithoutABootstrapStackPointsToUp(t *testing.T) {
	_, err := Choose(context.Background(), ModeCodeBuild, Env{}, Bootstrap{})
	var missing *MissingOutputsError
	if exitCode(err) != 2 || !errors.As(err, &missing) || !strings.Contains(err.Error(), "run `mlflowctl up`") {
		t.Fatalf("want a usage error pointing to up, got %T %v", err, err)
	}
}

func TestChooseBuilder(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	// Stands in for the Docker Engine API's GET /_ping.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_ping" {
			_, _ = w.Write([]byte("OK"))
			return
		}
		http.NotFound(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	ctx := context.Background()
	boot := Bootstrap{AssetsBucket: testBucket, CodeBuildProject: testProject}
	up := Env{DockerHost: "unix://" + sock}
	down := Env{DockerHost: "unix://" + filepath.Join(dir, "absent.sock")}
	for _, tc := range []struct {
		mode string
		env  Env
		boot Bootstrap
		want string
	}{
		{ModeAuto, up, boot, "docker"},
		{ModeAuto, down, boot, "codebuild"},
		{ModeCodeBuild, up, boot, "codebuild"},
		{ModeDocker, up, Bootstrap{}, "docker"},
		{ModeDocker, down, boot, "error"},
		{ModeAuto, down, Bootstrap{}, "error"},
		{"kaniko", up, boot, "error"},
	} {
		b, err := Choose(ctx, tc.mode, tc.env, tc.boot)
		got := "error"
		if err == nil {
			got = b.Name()
		} else if exitCode(err) != 2 {
			t.Errorf("%s: error is not bad input (exit 2): %v", tc.mode, err)
		}
		if got != tc.want {
			t.Errorf("mode %s (docker up: %t): got %s, want %s (%v)", tc.mode, tc.env.DockerHost == up.DockerHost, got, tc.want, err)
		}
	}
}

func TestReadBootstrapAgainstMoto(t *testing.T) {
	c := motoClients(t)
	ctx := context.Background()
	_, err := ReadBootstrap(ctx, c.Stacks, "absent")
	var missing *MissingStackError
	if !errors.As(err, &missing) || missing.ExitCode() != 2 || !strings.Contains(err.Error(), "absent-bootstrap") ||
		!strings.Contains(missing.Hint(), "mlflowctl up") {
		t.Fatalf("missing stack: %v", err)
	}
	tmpl := `{"Resources":{"Assets":{"Type":"AWS::S3::Bucket"}},"Outputs":{
"AssetsBucketName":{"Value":{"Ref":"Assets"}},
"CodeBuildProjectName":{"Value":"mlflow-images"},
"PyfuncRepositoryUri":{"Value":"123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc"}}}`
	if _, err := c.Stacks.(*cloudformation.Client).CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("demo-bootstrap"), TemplateBody: aws.String(tmpl)}); err != nil {
		t.Fatal(err)
	}
	b, err := ReadBootstrap(ctx, c.Stacks, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if b.AssetsBucket == "" || b.CodeBuildProject != "mlflow-images" || !strings.HasSuffix(b.PyfuncRepositoryURI, "/mlflow-pyfunc") {
		t.Fatalf("bootstrap %+v", b)
	}
}

// exitCode is the exit status the CLI gives err (1 when it names none).
func exitCode(err error) int {
	var coded interface {
		error
		ExitCode() int
	}
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return 1
}
