package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mlflowctl/mlflowctl/pkg/build/buildtest"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/uihost"
	"github.com/mlflowctl/mlflowctl/pkg/uihost/amplifyfake"
	"github.com/mlflowctl/mlflowctl/pkg/uihost/pypifake"
)

// mlflowRepo serves, over `git http-backend` on 127.0.0.1, a repository
// whose tag v3.18.0 holds MLflow's real UI entry file and a package.json.
func mlflowRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	work := filepath.Join(root, "work")
	index, err := os.ReadFile("../../pkg/patch/testdata/mlflow-3.18.0/public/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"mlflow/server/js/public/index.html": index,
		"mlflow/server/js/package.json":      []byte(`{"name": "mlflow"}` + "\n"),
	} {
		p := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(dir string, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@localhost", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@localhost", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(work, "init", "-q", "-b", "master")
	git(work, "add", "-A")
	git(work, "commit", "-q", "-m", "MLflow 3.18.0")
	git(work, "tag", "-a", "v3.18.0", "-m", "3.18.0")
	git(root, "clone", "-q", "--bare", work, filepath.Join(root, "srv", "mlflow.git"))
	backend := &cgi.Handler{Path: filepath.Join(git(root, "--exec-path"), "git-http-backend"),
		Env: []string{"GIT_PROJECT_ROOT=" + filepath.Join(root, "srv"), "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(backend)
	t.Cleanup(srv.Close)
	return srv.URL + "/mlflow.git"
}

// outputsStack creates a stack in moto whose outputs are the given values,
// tagged as stack id of deployment demo, the way up leaves it.
func outputsStack(t *testing.T, cfn *cloudformation.Client, id string, outputs map[string]string) {
	t.Helper()
	var tpl strings.Builder
	tpl.WriteString("Resources:\n  Marker:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: x\n      Name: /test/demo/" + id + "\nOutputs:\n")
	for k, v := range outputs {
		tpl.WriteString("  " + k + ":\n    Value: '" + v + "'\n")
	}
	_, err := cfn.CreateStack(context.Background(), &cloudformation.CreateStackInput{
		StackName: aws.String("demo-" + id), TemplateBody: aws.String(tpl.String()),
		Tags: []cfntypes.Tag{{Key: aws.String(deploy.TagDeployment), Value: aws.String("demo")}, {Key: aws.String(deploy.TagStack), Value: aws.String(id)}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func unzipFiles(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(b)
	}
	return out
}

// uiEnv is moto (CloudFormation, S3, CodeBuild) behind the recording
// proxy, and the Amplify fake (moto has no Amplify), with the stacks of a
// deployment "demo" whose outputs the UI step reads.
type uiEnv struct {
	proxy  *buildtest.Proxy
	amp    *amplifyfake.Fake
	router *httptest.Server
	s3c    *s3.Client
}

func newUIEnv(t *testing.T) uiEnv {
	t.Helper()
	srv := startMoto(t)
	proxy := buildtest.Start(t, srv.URL)
	amp := amplifyfake.New(t, "d1abc/main")
	motoURL, _ := url.Parse(proxy.URL)
	toMoto := httputil.NewSingleHostReverseProxy(motoURL)
	router := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if amplifyfake.Owns(r.URL.Path) {
			amp.ServeHTTP(w, r)
			return
		}
		toMoto.ServeHTTP(w, r)
	}))
	t.Cleanup(router.Close)
	setVar(t, "XDG_CACHE_HOME", t.TempDir())

	ctx := context.Background()
	awsCfg := srv.AWSConfig()
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("demo-assets")}); err != nil {
		t.Fatal(err)
	}
	_, err := codebuild.NewFromConfig(awsCfg).CreateProject(ctx, &codebuild.CreateProjectInput{
		Name: aws.String("demo-builds"), ServiceRole: aws.String("arn:aws:iam::123456789012:role/demo-codebuild"),
		Source:    &cbtypes.ProjectSource{Type: cbtypes.SourceTypeS3, Location: aws.String("demo-assets/builds/placeholder.zip")},
		Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, ComputeType: cbtypes.ComputeTypeBuildGeneral1Medium,
			Image: aws.String("aws/codebuild/amazonlinux2-x86_64-standard:5.0")},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfn := cloudformation.NewFromConfig(awsCfg)
	outputsStack(t, cfn, stacks.Bootstrap, map[string]string{stacks.OutAssetsBucket: "demo-assets", stacks.OutCodeBuildProject: "demo-builds"})
	outputsStack(t, cfn, stacks.API, map[string]string{stacks.OutUserPoolID: "us-east-1_Demo123", stacks.OutUserPoolClientID: "democlient",
		stacks.OutCognitoDomain: "https://demo-auth.auth.us-east-1.amazoncognito.com", stacks.OutUIURL: "https://main.d1abc.amplifyapp.com",
		stacks.OutAmplifyAppID: "d1abc"})
	outputsStack(t, cfn, stacks.UI, map[string]string{stacks.OutAmplifyBranch: "main"})

	return uiEnv{proxy: proxy, amp: amp, router: router, s3c: s3c}
}

// TestUIDeployBuildsOnceThenHitsTheCache runs `mlflowctl ui deploy` twice
// by the source path (ui.build: source) against moto and the Amplify fake:
// the first run builds, the second starts no build.
func TestUIDeployBuildsOnceThenHitsTheCache(t *testing.T) {
	t.Parallel()
	env := newUIEnv(t)
	proxy, amp, router, s3c := env.proxy, env.amp, env.router, env.s3c
	ctx := context.Background()

	// Play CodeBuild: moto records the build and reports it succeeded, so
	// leave the site where the buildspec's post_build would.
	proxy.OnStartBuild = func(string) {
		calls := proxy.Calls("StartBuild")
		var in struct {
			EnvironmentVariablesOverride []struct{ Name, Value string }
		}
		_ = json.Unmarshal(calls[len(calls)-1].Body, &in)
		for _, v := range in.EnvironmentVariablesOverride {
			if v.Name == "OUTPUT_KEY" {
				site := mustZipFiles(t, map[string]string{"index.html": "<html>built</html>", "mlflowctl-login.js": "login"})
				_, _ = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("demo-assets"), Key: aws.String(v.Value), Body: bytes.NewReader(site)})
			}
		}
	}

	cfgPath := filepath.Join(t.TempDir(), "mlflowctl.yaml")
	cfgYAML := "name: demo\nregion: us-east-1\nui:\n  build: source\n  repository: " + mlflowRepo(t) + "\n"
	if err := os.WriteFile(cfgPath, []byte(cfgYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCLI(t, "ui", "deploy", "--config", cfgPath, "--endpoint-url", router.URL)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(out, "built in CodeBuild): https://main.d1abc.amplifyapp.com/") || !strings.Contains(out, "UI path source: ui.build is source") || len(proxy.Calls("StartBuild")) != 1 {
		t.Fatalf("first run: %q, %d builds\n%s", out, len(proxy.Calls("StartBuild")), stderr)
	}
	site := unzipFiles(t, amp.Uploaded("1"))
	var settings struct{ ClientID, Domain, RedirectURI, TokenUse string }
	if err := json.Unmarshal([]byte(site["mlflowctl-auth.json"]), &settings); err != nil || settings.ClientID != "democlient" ||
		settings.RedirectURI != "https://main.d1abc.amplifyapp.com/" || settings.TokenUse != "access" {
		t.Fatalf("hosted settings %+v (%v)", settings, err)
	}

	// The sources CodeBuild got carry mlflowctl's patch.
	list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("demo-assets"), Prefix: aws.String("ui/sources/")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("sources uploaded: %v %v", list, err)
	}
	obj, _ := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("demo-assets"), Key: list.Contents[0].Key})
	srcZip, _ := io.ReadAll(obj.Body)
	src := unzipFiles(t, srcZip)
	if !strings.Contains(src["public/index.html"], "mlflowctl-login.js") || src["public/mlflowctl-login.js"] == "" {
		t.Fatalf("uploaded sources are not patched: %v", keysOf(src))
	}

	out, stderr, err = runCLI(t, "ui", "deploy", "--config", cfgPath, "--endpoint-url", router.URL, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var res struct {
		CacheHit bool
		URL      string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.CacheHit || res.URL != "https://main.d1abc.amplifyapp.com/" {
		t.Fatalf("second run %q (%v)", out, err)
	}
	if n := len(proxy.Calls("StartBuild")); n != 1 || amp.Calls("CreateDeployment") != 2 {
		t.Fatalf("second run started %d builds in all and %d deployments", n, amp.Calls("CreateDeployment"))
	}
}

func TestUIDeployWithNothingDeployed(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	_, _, err := runCLI(t, "ui", "deploy", "--name", "ghost", "--region", "us-east-1", "--endpoint-url", srv.URL)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "mlflowctl up") {
		t.Fatalf("want exit 2 pointing at up, got %d: %v", exitCode(err), err)
	}
}

func mustZipFiles(t *testing.T, files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// fixtureWheel is a small mlflow wheel whose UI is the release's real
// build/index.html and a stand-in bundle file.
func fixtureWheel(t *testing.T, version string) []byte {
	t.Helper()
	index, err := os.ReadFile("../../pkg/patch/testdata/mlflow-" + version + "/build/index.html")
	if err != nil {
		t.Fatal(err)
	}
	w, err := pypifake.Wheel(map[string][]byte{
		uihost.WheelBuildDir + "index.html":        index,
		uihost.WheelBuildDir + "static/js/main.js": []byte("bundle"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestUIDeployPrebuiltMakesNoCodeBuildCall is the default path: against
// moto and the Amplify fake, `ui deploy` gets the wheel from the index
// stand-in, deploys the patched release and calls no CodeBuild API at all.
func TestUIDeployPrebuiltMakesNoCodeBuildCall(t *testing.T) {
	t.Parallel()
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			env := newUIEnv(t)
			ix := pypifake.New(t)
			name := ix.Add(v, fixtureWheel(t, v))
			cfgPath := filepath.Join(t.TempDir(), "mlflowctl.yaml")
			cfgYAML := "name: demo\nregion: us-east-1\nmlflowVersion: " + v + "\ngateway:\n  enabled: false\nui:\n  packageIndex: " + ix.JSONURL() + "\n"
			if err := os.WriteFile(cfgPath, []byte(cfgYAML), 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			out, stderr, err := runCLI(t, "ui", "deploy", "--config", cfgPath, "--endpoint-url", env.router.URL)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			t.Logf("ui deploy (prebuilt, fixture wheel) took %s", time.Since(start))
			if n := len(env.proxy.Calls("")); n != 0 {
				var targets []string
				for _, c := range env.proxy.Calls("") {
					targets = append(targets, c.Target)
				}
				t.Fatalf("the prebuilt path made %d JSON-protocol calls (CodeBuild, Logs): %v", n, targets)
			}
			if !strings.Contains(out, "prebuilt path, no build: "+name) || !strings.Contains(out, "UI path prebuilt: the released MLflow "+v+" UI") {
				t.Fatalf("output %q", out)
			}
			if !strings.Contains(stderr, "UI path prebuilt") || ix.Downloads(name) != 1 {
				t.Fatalf("stderr %q, downloads %d", stderr, ix.Downloads(name))
			}
			site := unzipFiles(t, env.amp.Uploaded("1"))
			if strings.Count(site["index.html"], "mlflowctl-login.js") != 1 || site["mlflowctl-login.js"] == "" ||
				!strings.Contains(site["mlflowctl-auth.json"], "democlient") || site["static/js/main.js"] != "bundle" {
				t.Fatalf("hosted site %v", keysOf(site))
			}
			obj, err := env.s3c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("demo-assets"), Key: aws.String(uihost.WheelKey(name))})
			if err != nil || aws.ToInt64(obj.ContentLength) == 0 {
				t.Fatalf("the wheel is not cached in the assets bucket: %v", err)
			}
		})
	}
}

// TestUIBuildWritesTheSiteOffline: `ui build` needs no AWS (no endpoint,
// no credentials) and writes the patched release with a placeholder
// settings file naming the outputs that fill it.
func TestUIBuildWritesTheSiteOffline(t *testing.T) {
	t.Parallel()
	setVar(t, "XDG_CACHE_HOME", t.TempDir())
	setVar(t, "AWS_ACCESS_KEY_ID", "")
	setVar(t, "AWS_SECRET_ACCESS_KEY", "")
	ix := pypifake.New(t)
	ix.Add("2.12.2", fixtureWheel(t, "2.12.2"))
	cfgPath := filepath.Join(t.TempDir(), "mlflowctl.yaml")
	if err := os.WriteFile(cfgPath, []byte("name: demo\nui:\n  packageIndex: "+ix.SimpleURL()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "site")
	out, stderr, err := runCLI(t, "ui", "build", "--config", cfgPath, "--out", dir, "--mlflow-version", "2.12.2")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	index, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	script, _ := os.ReadFile(filepath.Join(dir, "mlflowctl-login.js"))
	settings, _ := os.ReadFile(filepath.Join(dir, "mlflowctl-auth.json"))
	var placeholder map[string]string
	if err := json.Unmarshal(settings, &placeholder); err != nil {
		t.Fatalf("placeholder is not JSON: %v", err)
	}
	if !strings.Contains(string(index), `<script src="./static-files/mlflowctl-login.js"></script></head>`) || len(script) == 0 ||
		!strings.Contains(placeholder["clientId"], stacks.OutUserPoolClientID+" of stack demo-api") || !strings.Contains(out, "MLflow 2.12.2 UI") {
		t.Fatalf("out %q\nindex %s\nsettings %s", out, index, settings)
	}
	_, _, err = runCLI(t, "ui", "build", "--config", cfgPath, "--out", dir)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("a non-empty --out: exit %d %v", exitCode(err), err)
	}
	_, _, err = runCLI(t, "ui", "build", "--config", cfgPath, "--out", t.TempDir()+"/x", "--mlflow-version", "1.0.0")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--mlflow-version") {
		t.Fatalf("an unsupported version: exit %d %v", exitCode(err), err)
	}
}

// TestUIBuildRefusesASourceOnlyPatch: a patch outside public/ needs the
// source path, which ui build does not do; exit 2 naming the patch.
func TestUIBuildRefusesASourceOnlyPatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "theme.patch")
	diff := "diff --git a/mlflow/server/js/src/theme.ts b/mlflow/server/js/src/theme.ts\n--- a/mlflow/server/js/src/theme.ts\n+++ b/mlflow/server/js/src/theme.ts\n@@ -1 +1 @@\n-a\n+b\n"
	cfgPath := filepath.Join(dir, "mlflowctl.yaml")
	if os.WriteFile(p, []byte(diff), 0o644) != nil || os.WriteFile(cfgPath, []byte("name: demo\nui:\n  patches: ["+p+"]\n"), 0o644) != nil {
		t.Fatal("write")
	}
	_, _, err := runCLI(t, "ui", "build", "--config", cfgPath, "--out", filepath.Join(dir, "site"))
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "src/theme.ts") {
		t.Fatalf("want exit 2 naming the patch's file, got %d %v", exitCode(err), err)
	}
}
