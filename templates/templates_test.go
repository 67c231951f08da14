package templates_test

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/build"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/patch"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/uihost"
	"github.com/mlflowctl/mlflowctl/templates"
)

// TestFSHoldsNoTestsDocsOrBenchmarks: what the binary embeds is what it
// ships; tests, their data, benchmarks and READMEs live beside it only.
func TestFSHoldsNoTestsDocsOrBenchmarks(t *testing.T) {
	n := 0
	err := fs.WalkDir(templates.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		base := path.Base(p)
		switch {
		case strings.Contains(base, "_test"), strings.HasSuffix(base, ".test.mjs"),
			strings.HasPrefix(strings.ToUpper(base), "README"), strings.Contains(base, "bench"),
			strings.Contains("/"+p, "/testdata/"), strings.HasSuffix(base, ".go"):
			t.Errorf("%s is embedded in the binary but only tests or readers need it", p)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("walk: %v (%d files)", err, n)
	}
}

// TestFSHoldsEveryFileTheCodeReads names the files each reader opens and
// runs the readers themselves, for every stack and supported MLflow
// version.
func TestFSHoldsEveryFileTheCodeReads(t *testing.T) {
	want := []string{
		"authorizer/authorizer.mjs", "authorizer/index.mjs", "config/mlflowctl.yaml", "docker/buildspec.yml",
		"studio/lifecycle.sh", "studio/requests_auth_aws_sigv4.py", "studio/requests_auth_aws_sigv4.LICENSE",
		"uibuild/buildspec.yaml",
	}
	for _, id := range stacks.IDs {
		want = append(want, "cfn/"+id+".yaml")
	}
	for _, kind := range []build.Kind{build.Server, build.Gateway, build.Pyfunc} {
		want = append(want, "docker/"+string(kind)+"/Dockerfile.tmpl")
	}
	for _, s := range build.ServerScripts {
		want = append(want, "docker/server/"+s)
	}
	for _, v := range config.SupportedMLflowVersions {
		want = append(want, build.LockPath(v))
	}
	for _, p := range want {
		if _, err := fs.Stat(templates.FS, p); err != nil {
			t.Errorf("the binary reads %s: %v", p, err)
		}
	}

	if len(config.DefaultFile()) == 0 {
		t.Error("empty default configuration")
	}
	if _, _, err := authz.PackageAuthorizer(config.Defaults()); err != nil {
		t.Errorf("authorizer: %v", err)
	}
	if _, err := stacks.LifecycleScript(); err != nil {
		t.Errorf("lifecycle script: %v", err)
	}
	if s, err := patch.OwnSeries(); err != nil || len(s) == 0 {
		t.Errorf("UI patch series: %d patches, %v", len(s), err)
	}
	if _, err := build.Buildspec(); err != nil {
		t.Errorf("image buildspec: %v", err)
	}
	for _, v := range config.SupportedMLflowVersions {
		cfg := config.Defaults()
		cfg.MLflowVersion, cfg.Region = v, "us-east-1"
		if _, err := build.RenderServer(cfg, cfg.Region, build.PlatformAMD64); err != nil {
			t.Errorf("server image %s: %v", v, err)
		}
		if config.Major(v) == 2 { // the gateway is its own image on MLflow 2 only
			cfg.Gateway.Endpoints = []config.Endpoint{{Name: "completions", Type: "llm/v1/completions", Model: "anthropic.claude-v2"}}
			if _, err := build.RenderGateway(cfg, cfg.Region, build.PlatformAMD64); err != nil {
				t.Errorf("gateway image %s: %v", v, err)
			}
		}
		if _, err := build.RenderPyfunc(v, build.PlatformAMD64); err != nil {
			t.Errorf("pyfunc image %s: %v", v, err)
		}
		if _, err := uihost.Buildspec(v); err != nil {
			t.Errorf("UI buildspec %s: %v", v, err)
		}
	}
}
