package authz

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// mlflowVenv finds the venv .ci/setup.d/40-mlflow.sh made for a version:
// $MLFLOWCTL_MLFLOW_VENVS/<version>, default ~/.cache/mlflowctl/mlflow-venvs.
// With CI=true a missing venv fails the test; otherwise it skips.
func mlflowVenv(t *testing.T, version string) string {
	t.Helper()
	root := os.Getenv("MLFLOWCTL_MLFLOW_VENVS")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		root = filepath.Join(home, ".cache", "mlflowctl", "mlflow-venvs")
	}
	py := filepath.Join(root, version, "bin", "python")
	if _, err := os.Stat(filepath.Join(root, version, ".mlflowctl-ok")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no mlflow %s venv at %s: CI makes it with .ci/setup.d/40-mlflow.sh", version, root)
		}
		t.Skipf("no mlflow %s venv at %s (bash .ci/setup.d/40-mlflow.sh makes it)", version, root)
	}
	return py
}

type serverRoute struct {
	Method, Path, Source string
}

// listRoutes runs testdata/list_routes.py in the venv: every route the real
// server registers (Flask url_map, and FastAPI's routers on 3.x).
func listRoutes(t *testing.T, py string, args ...string) []serverRoute {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-W", "ignore", filepath.Join("testdata", "list_routes.py")}, args...)...)
	cmd.Dir = "."
	cmd.Env = append(os.Environ(), "MLFLOW_TRACKING_URI=", "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("list routes with %s: %v\n%s", py, err, stderr)
	}
	var routes []serverRoute
	if err := json.Unmarshal(out, &routes); err != nil {
		t.Fatalf("route list is not JSON: %v", err)
	}
	if len(routes) < 10 {
		t.Fatalf("only %d routes listed: the lister is broken", len(routes))
	}
	return routes
}

// TestRouteCoverage is the contract with the real MLflow: every route each
// supported version's servers register is in the catalogue with a class,
// and every catalogue route is served by some supported version.
func TestRouteCoverage(t *testing.T) {
	byShape := map[string]Route{}
	probes := map[string]bool{}
	for _, r := range Catalogue() {
		if r.Probe {
			probes[r.Method+" "+Shape(r.Path)] = true
			continue
		}
		byShape[r.Method+" "+Shape(r.Path)] = r
	}
	served := map[string]bool{}
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			py := mlflowVenv(t, v)
			var args []string
			if config.Major(v) == 2 {
				args = append(args, "--gateway")
			}
			routes := listRoutes(t, py, args...)
			var missing []string
			for _, r := range routes {
				key := r.Method + " " + Shape(NormalizeServerPath(r.Path))
				served[key] = true
				if probes[key] {
					t.Errorf("mlflow %s now serves the probe %s: give it a table row of its own scope and decide its class", v, key)
				}
				if _, ok := byShape[key]; !ok && !probes[key] {
					missing = append(missing, key+" ("+r.Source+")")
				}
			}
			slices.Sort(missing)
			missing = slices.Compact(missing)
			for _, m := range missing {
				t.Errorf("mlflow %s serves %s, which has no class: add it to routeTable", v, m)
			}
			t.Logf("mlflow %s: %d routes, all classified", v, len(routes))
		})
	}
	if t.Failed() || len(served) == 0 {
		return
	}
	for key := range byShape {
		if !served[key] {
			t.Errorf("catalogue route %s is served by no supported MLflow version: remove it", key)
		}
	}
}
