package uihost

import (
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mlflowctl/mlflowctl/internal/golden"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

type buildspec struct {
	Version string
	Env     struct{ Variables map[string]string }
	Phases  map[string]struct {
		OnFailure       string            `yaml:"on-failure"`
		RuntimeVersions map[string]string `yaml:"runtime-versions"`
		Commands        []string
	}
}

func TestBuildspecPerVersion(t *testing.T) {
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			data, err := Buildspec(v)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", "buildspec-"+v+".golden.yaml"), data)
			var bs buildspec
			if err := yaml.Unmarshal(data, &bs); err != nil {
				t.Fatal(err)
			}
			node, _ := NodeVersion(v)
			if bs.Version != "0.2" || bs.Phases["install"].RuntimeVersions["nodejs"] != node {
				t.Fatalf("version %q, node %v", bs.Version, bs.Phases["install"].RuntimeVersions)
			}
			if bs.Env.Variables["CI"] != "false" {
				t.Error("CI must be false or CRA fails on warnings")
			}
			for _, phase := range []string{"pre_build", "build"} {
				if bs.Phases[phase].OnFailure != "ABORT" {
					t.Errorf("%s must abort on failure so post_build does not upload a broken site", phase)
				}
			}
			all := strings.Join(append(bs.Phases["build"].Commands, bs.Phases["post_build"].Commands...), "\n")
			for _, want := range []string{"yarn install --immutable", "yarn build", "${OUTPUT_KEY}", "build/index.html"} {
				if !strings.Contains(all, want) {
					t.Errorf("buildspec lacks %q", want)
				}
			}
		})
	}
}

func TestBuildspecUnknownVersion(t *testing.T) {
	if _, err := Buildspec("1.0.0"); err == nil || !strings.Contains(err.Error(), "2.12.2") {
		t.Fatalf("want the supported versions listed, got %v", err)
	}
}

func TestCacheKeySeparatesVersionsAndPatches(t *testing.T) {
	keys := map[string]bool{CacheKey("3.18.0", "a"): true, CacheKey("3.18.0", "b"): true, CacheKey("2.12.2", "a"): true}
	if len(keys) != 3 {
		t.Fatal("cache keys collide")
	}
}
