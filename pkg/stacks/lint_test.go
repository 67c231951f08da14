package stacks

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// needTool skips when a checker is missing, except in CI where a missing
// checker is a failure (.ci/run installs both from .ci/requirements.txt).
func needTool(t *testing.T, name string, also ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	for _, p := range also {
		if err == nil {
			break
		}
		path, err = exec.LookPath(p)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed: bash .ci/run installs it", name)
		}
		t.Skipf("%s is not installed (bash .ci/run installs it); skipped outside CI", name)
	}
	return path
}

// renderAll writes every stack of every variant to one directory, so each
// checker runs once over all of them.
func renderAll(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, v := range variants() {
		for _, s := range render(t, v.cfg).Stacks {
			if err := os.WriteFile(filepath.Join(dir, v.name+"-"+s.ID+".yaml"), s.Template, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// TestCfnLint: zero errors and zero warnings on every rendered template.
// No rule is ignored.
func TestCfnLint(t *testing.T) {
	t.Parallel()
	bin := needTool(t, "cfn-lint")
	dir := renderAll(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	args := append([]string{"--format", "parseable", "--regions", "us-east-1", "eu-west-1", "--"}, files...)
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint found problems (%v) in %d templates:\n%s", err, len(files), out)
	}
	t.Logf("cfn-lint: %d templates clean", len(files))
}

// TestCheckov: zero failed checks; every skip is in the resource's
// Metadata.checkov.skip with a comment saying why.
func TestCheckov(t *testing.T) {
	t.Parallel()
	bin := needTool(t, "checkov", checkovVenv())
	dir := renderAll(t)
	cmd := exec.Command(bin, "-d", dir, "--framework", "cloudformation", "--compact", "--quiet", "--skip-download")
	cmd.Env = append(os.Environ(), "BC_SKIP_MAPPING=TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Failed checks: 0") {
		t.Fatalf("checkov failed (%v):\n%s", err, out)
	}
	t.Logf("checkov: %s", lastLine(string(out), "Passed checks"))
}

func lastLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// TestEveryCheckovSkipHasAComment keeps skips honest.
func TestEveryCheckovSkipHasAComment(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, _ deploy.Stack, tpl Template) {
		for id, r := range tpl.Resources {
			ck, _ := r.Metadata["checkov"].(map[string]any)
			skips, _ := ck["skip"].([]any)
			for _, s := range skips {
				m, _ := s.(map[string]any)
				c, _ := m["comment"].(string)
				if !strings.HasPrefix(m["id"].(string), "CKV") || len(strings.TrimSpace(c)) < 20 {
					t.Errorf("%s: skip %v needs an id and a reason", id, m)
				}
			}
		}
	})
}

// checkovVenv is where .ci/setup.d/30-checkov.sh installs checkov.
func checkovVenv() string {
	venv := os.Getenv("MLFLOWCTL_CHECKOV_VENV")
	if venv == "" {
		home, _ := os.UserHomeDir()
		venv = filepath.Join(home, ".cache", "mlflowctl", "checkov-venv")
	}
	return filepath.Join(venv, "bin", "checkov")
}
