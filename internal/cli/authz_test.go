package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuthzCheckSeedTable asks the CLI the seed's questions
// (research/seed-inventory.md §3–§4), with the seed's bugs fixed as
// DESIGN.md §2 says.
func TestAuthzCheckSeedTable(t *testing.T) {
	cases := []struct {
		args      []string
		verdict   string
		statement string
	}{
		{[]string{"--group", "readers", "POST", "/api/2.0/mlflow/runs/create"}, "deny", ""},
		{[]string{"--group", "readers", "POST", "/ajax-api/2.0/mlflow/runs/search"}, "allow", "POST/ajax-api/2.0/mlflow/runs/search"},
		{[]string{"--group", "readers", "GET", "/get-artifact?run_id=1&path=a.png"}, "allow", "GET/g*"}, // wildcards keep answers under 8 KB,
		{[]string{"--group", "readers", "get", "/model-versions/get-artifact"}, "allow", "GET/model-versions/get-artifact"},
		{[]string{"--group", "admins", "DELETE", "/api/2.0/mlflow/experiments/delete"}, "allow", "*/*"},
		{[]string{"--group", "model-approvers", "PATCH", "/api/2.0/mlflow/model-versions/update"}, "allow", "PATCH/api/2.0/mlflow/model-versions/update"},
		{[]string{"--group", "model-approvers", "POST", "/ajax-api/2.0/mlflow/runs/create"}, "deny", ""},
		{[]string{"--group", "readers,model-approvers", "DELETE", "/ajax-api/2.0/mlflow/registered-models/alias"}, "allow", "DELETE/ajax-api/2.0/mlflow/registered-models/alias"},
		{[]string{"--group", "readers", "--group", "model-approvers", "POST", "/ajax-api/2.0/mlflow/model-versions/transition-stage"}, "allow", "POST/ajax-api/2.0/mlflow/m*"},
		{[]string{"--group", "data-scientists", "GET", "/ajax-api/2.0/mlflow/experiments/get"}, "deny", ""},
	}
	for _, c := range cases {
		out, _, err := runCLI(t, append([]string{"authz", "check"}, c.args...)...)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if first := strings.SplitN(out, "\n", 2)[0]; first != c.verdict {
			t.Errorf("%v: %q, want %s\n%s", c.args, first, c.verdict, out)
		}
		if c.statement != "" && !strings.Contains(out, "statement: "+c.statement+"\n") {
			t.Errorf("%v: no statement %s in\n%s", c.args, c.statement, out)
		}
	}
}

func TestAuthzCheckJSON(t *testing.T) {
	out, _, err := runCLI(t, "authz", "check", "-o", "json", "--group", "readers", "GET", "/ajax-api/3.0/mlflow/traces/tr-1")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Allow     bool
		Enforcer  string
		Statement string
		Route     struct{ Path, Class string }
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !d.Allow || d.Enforcer != "authorizer" || d.Route.Path != "/ajax-api/3.0/mlflow/traces/{trace_id}" || d.Route.Class != "read" {
		t.Fatalf("unexpected decision %+v", d)
	}
}

func TestAuthzCheckUsesConfiguredGroups(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "mlflowctl.yaml")
	body := "groups:\n  - name: admins\n    classes: [read, write, registry, gateway, admin]\n  - name: data-scientists\n    classes: [read, write]\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "--config", cfg, "authz", "check", "--group", "data-scientists", "POST", "/api/2.0/mlflow/runs/log-batch")
	if err != nil || !strings.HasPrefix(out, "allow\n") {
		t.Fatalf("data-scientists may log: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, "--config", cfg, "authz", "check", "--group", "readers", "GET", "/api/2.0/mlflow/runs/get")
	if err != nil || !strings.HasPrefix(out, "deny\n") {
		t.Fatalf("readers is not configured in this file, so it is unknown: %v\n%s", err, out)
	}
}

func TestAuthzCheckBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"authz", "check", "GET", "/"},
		{"authz", "check", "--group", "readers", "FETCH", "/"},
		{"authz", "check", "--group", "readers", "GET", "api/2.0/mlflow/runs/get"},
		{"authz", "check", "--group", "readers", "GET"},
	} {
		_, _, err := runCLI(t, args...)
		if exitCode(err) != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, exitCode(err), err)
		}
	}
}

func TestAuthzShow(t *testing.T) {
	out, _, err := runCLI(t, "authz", "show", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Groups []struct {
			Name         string
			IAMResources []string `json:"iamResources"`
			Chars        int      `json:"iamPolicyCharacters"`
		}
		Routes []struct {
			Method, Path, Class string
			Allowed             []string
		}
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(m.Groups) != 3 || len(m.Routes) < 500 {
		t.Fatalf("%d groups, %d routes", len(m.Groups), len(m.Routes))
	}
	for _, r := range m.Routes {
		if r.Path == "/api/2.0/mlflow/model-versions/update" && strings.Join(r.Allowed, ",") != "admins,model-approvers" {
			t.Errorf("model-versions/update allowed for %v", r.Allowed)
		}
	}
	text, _, err := runCLI(t, "authz", "show")
	if err != nil || !strings.Contains(text, "readers") || !strings.Contains(text, "/ajax-api/2.0/mlflow/runs/search") {
		t.Fatalf("text matrix: %v\n%.500s", err, text)
	}
}

// TestAuthzCheckEnforcerIsTheStacks (issue 17, item 9): /version and
// /v1/traces are AWS_IAM methods of the api stack, so check names IAM.
func TestAuthzCheckEnforcerIsTheStacks(t *testing.T) {
	for path, want := range map[string]string{
		"/version":                      "iam",
		"/v1/traces":                    "iam",
		"/health":                       "iam",
		"/ajax-api/2.0/mlflow/runs/get": "authorizer",
		"/t/api/2.0/mlflow/runs/get":    "authorizer",
	} {
		out, _, err := runCLI(t, "authz", "check", "--group", "admins", "GET", path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !strings.Contains(out, "enforcer:  "+want+"\n") {
			t.Errorf("%s: want enforcer %s in\n%s", path, want, out)
		}
	}
}
