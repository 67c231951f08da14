package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
)

// TestMain clears the AWS_* variables before any test runs: the SDK
// still reads a few itself (AWS_PROFILE, AWS_ENDPOINT_URL, AWS_CA_BUNDLE)
// that the tests' explicit load options (awsx.Env) do not all replace.
// The tests themselves change nothing of the process (repolint).
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			_ = os.Unsetenv(name)
		}
	}
	mototest.Main(m)
}

// runCLI runs mlflowctl in-process from a scratch directory.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runCLIEnv(t, environment{}, args...)
}

// runCLIEnv is runCLI with stand-ins for AWS or signals (environment.go).
func runCLIEnv(t *testing.T, env environment, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	newDir(t)
	var out, errOut bytes.Buffer
	err = execute(context.Background(), BuildInfo{Version: "1.2.3", Commit: "abc", Date: "2026-01-01"}, args,
		IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, inTest(t, env))
	return out.String(), errOut.String(), err
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var c interface{ ExitCode() int }
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return 1
}

func TestWhoamiAgainstMoto(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	out, _, err := runCLI(t, "whoami", "--endpoint-url", srv.URL, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var id struct{ Account, ARN, Region string }
	if err := json.Unmarshal([]byte(out), &id); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if id.Account != mototest.Account || id.Region != mototest.Region || !strings.HasPrefix(id.ARN, "arn:aws:") {
		t.Fatalf("unexpected identity %+v", id)
	}
	text, _, err := runCLI(t, "whoami", "--endpoint-url", srv.URL, "--region", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Account: "+mototest.Account) || !strings.Contains(text, "Region:  eu-west-1") {
		t.Fatalf("text output:\n%s", text)
	}
	// --verbose names the one emulator setting --endpoint-url brought.
	_, verbose, err := runCLI(t, "whoami", "--endpoint-url", srv.URL, "--verbose")
	if err != nil || !strings.Contains(verbose, "emulator setting: on: endpoint "+srv.URL) || !strings.Contains(verbose, "stacks without change sets true") {
		t.Fatalf("--verbose: %v\n%s", err, verbose)
	}
}

func TestWhoamiWithoutRegion(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	_, _, err := runCLI(t, "whoami", "--endpoint-url", "http://127.0.0.1:1")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--region") {
		t.Fatalf("want exit 2 saying how to set a region, got %d: %v", exitCode(err), err)
	}
}

func TestWhoamiWithoutCredentials(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	_, _, err := runCLI(t, "whoami", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:1")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Fatalf("want exit 2 about credentials, got %d: %v", exitCode(err), err)
	}
}

func TestConfigValidateNamesEveryMistake(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.yaml")
	bad := "name: Bad_Name\nserver:\n  cpu: 300\ndatabase:\n  deletionPolicy: destroy\n"
	if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(t, "config", "validate", "--config", p)
	if exitCode(err) != 2 {
		t.Fatalf("exit %d, want 2: %v", exitCode(err), err)
	}
	for _, field := range []string{"name:", "server.cpu:", "database.deletionPolicy:"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error does not name %s:\n%v", field, err)
		}
	}
	out, _, err := runCLI(t, "config", "validate", "--config", p, "-o", "json")
	var report struct {
		Valid    bool
		Problems []struct{ Field, Message string }
	}
	if jerr := json.Unmarshal([]byte(out), &report); jerr != nil || report.Valid || len(report.Problems) != 3 || exitCode(err) != 2 {
		t.Fatalf("json report %+v (err %v, exit %d)", report, jerr, exitCode(err))
	}
}

func TestConfigInitThenValidate(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "m.yaml")
	if _, _, err := runCLI(t, "config", "init", "--config", p); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "config", "validate", "--config", p)
	if err != nil || !strings.Contains(out, "valid") {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	_, _, err = runCLI(t, "config", "init", "--config", p)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrite without --force: exit %d: %v", exitCode(err), err)
	}
	if _, _, err := runCLI(t, "config", "init", "--config", p, "--force"); err != nil {
		t.Fatal(err)
	}
}

func TestConfigShowAppliesFlagsAndEnv(t *testing.T) {
	t.Parallel()
	setVar(t, "MLFLOWCTL_SERVER_CPU", "2048")
	setVar(t, "MLFLOWCTL_SERVER_MEMORY", "8192")
	out, _, err := runCLI(t, "config", "show", "--name", "team-a", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Name   string
		Server struct{ CPU, Memory int }
	}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "team-a" || cfg.Server.CPU != 2048 || cfg.Server.Memory != 8192 {
		t.Fatalf("config show = %+v", cfg)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"unknown command": {"deploy-everything"},
		"unknown flag":    {"version", "--colour"},
		"bad output":      {"version", "-o", "xml"},
		"bad name":        {"version", "--name", "Not_Valid"},
		"bad region":      {"version", "--region", "moon"},
		"extra argument":  {"version", "now"},
		"bad shell":       {"completion", "tcsh"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := runCLI(t, args...)
			if exitCode(err) != 2 {
				t.Fatalf("exit %d, want 2: %v", exitCode(err), err)
			}
		})
	}
}

func TestVersionAndCompletion(t *testing.T) {
	t.Parallel()
	out, _, err := runCLI(t, "version", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Version, Commit, Date string }
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Version != "1.2.3" || v.Commit != "abc" {
		t.Fatalf("version json %q: %v", out, err)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, _, err := runCLI(t, "completion", shell)
		if err != nil || !strings.Contains(out, "mlflowctl") || len(out) < 500 {
			t.Errorf("completion %s: %v (%d bytes)", shell, err, len(out))
		}
	}
	help, _, err := runCLI(t, "--help")
	if err != nil || !strings.Contains(help, "whoami") || !strings.Contains(help, "--endpoint-url") {
		t.Fatalf("help: %v\n%s", err, help)
	}
}
