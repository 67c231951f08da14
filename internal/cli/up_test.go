package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's first command: no AWS credentials, no network.
func TestUpDryRunOffline(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	out, errOut, err := runCLI(t, "up", "--dry-run", "--endpoint-url", "http://127.0.0.1:1")
	if err != nil {
		t.Fatalf("dry run failed: %v\n%s", err, errOut)
	}
	for _, want := range []string{"mlflow-bootstrap", "mlflow-server", "mlflow-api", "mlflow-studio", "mlflow-ui",
		"ServerImage = <account>.dkr.ecr.<region>", "NlbArn = <output NlbArn of stack server>",
		"Estimated monthly cost while idle", "Total", "Assumptions:", "no region given"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(errOut, "nothing was sent to AWS") || !strings.Contains(errOut, "UI: prebuilt:") {
		t.Errorf("stderr: %s", errOut)
	}
	for _, id := range []string{"bootstrap", "server", "api", "studio", "ui"} {
		tpl, err := os.ReadFile(filepath.Join(inDir(t, defaultOutDir), id+".yaml"))
		if err != nil || !strings.Contains(string(tpl), "AWSTemplateFormatVersion") {
			t.Errorf("%s template: %v", id, err)
		}
		var params []struct{ ParameterKey, ParameterValue string }
		b, err := os.ReadFile(filepath.Join(inDir(t, defaultOutDir), id+".parameters.json"))
		if err != nil || json.Unmarshal(b, &params) != nil {
			t.Errorf("%s parameters: %v", id, err)
		}
	}
}

func TestUpDryRunJSONWithAccountAndRegion(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "mlflowctl.yaml")
	if err := os.WriteFile(cfgPath, []byte("name: team2\naccountId: \"210987654321\"\nmlflowVersion: 2.12.2\nstudio:\n  enabled: false\n"+
		"gateway:\n  endpoints:\n    - {name: completions, type: llm/v1/completions, model: anthropic.claude-v2:1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(dir, "rendered")
	out, _, err := runCLI(t, "up", "--dry-run", "--config", cfgPath, "--region", "eu-central-1", "--out", outDir, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rep dryRunReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Deployment != "team2" || rep.Account != "210987654321" || rep.Region != "eu-central-1" || !rep.DryRun {
		t.Fatalf("report header %+v", rep)
	}
	if len(rep.Stacks) != 5 || rep.Cost.PriceRegion != "eu-central-1" || rep.Cost.Total <= 0 {
		t.Fatalf("stacks %d, cost %+v", len(rep.Stacks), rep.Cost)
	}
	for _, s := range rep.Stacks {
		if !strings.HasPrefix(s.Name, "team2-") || s.Resources == 0 || s.TemplateFile == "" {
			t.Errorf("stack %+v", s)
		}
		for _, p := range s.Parameters {
			if p.Key == "GatewayImage" && !strings.Contains(p.Value, "210987654321.dkr.ecr.eu-central-1.amazonaws.com/team2-gateway") {
				t.Errorf("gateway image placeholder %q", p.Value)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(outDir, "server.yaml")); err != nil {
		t.Fatal(err)
	}
}

func TestUpDryRunBadInput(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	_, _, err := runCLI(t, "up", "--out", "x")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--dry-run") {
		t.Fatalf("--out without --dry-run: %d %v", exitCode(err), err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(cfgPath, []byte("network:\n  natGateways: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCLI(t, "up", "--dry-run", "--config", cfgPath, "--out", filepath.Join(dir, "o"))
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "network.natGateways") {
		t.Fatalf("bad config: %d %v", exitCode(err), err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "o")); statErr == nil {
		t.Fatal("a bad config must write nothing")
	}
}
