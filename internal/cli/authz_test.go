package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAuthzCheckSeedTable asks the CLI the seed's questions
// (research/seed-inventory.md §3–§4), with the seed's bugs fixed as
// DESIGN.md §2 says.
func TestAuthzCheckSeedTable(t *testing.T) {
	t.Parallel()
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
	}
	// The seed's "data-scientists" (no such group by default) is now an
	// error, not a deny: TestAuthzCheckUnknownGroupIsAnError.
	for _, c := range cases {
		out, _, err := runCLI(t, append([]string{"authz", "check"}, c.args...)...)
		if want := map[string]int{"allow": 0, "deny": 1}[c.verdict]; exitCode(err) != want {
			t.Fatalf("%v: exit %d (%v), want %d", c.args, exitCode(err), err, want)
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
	t.Parallel()
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
	t.Parallel()
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
	if exitCode(err) != 2 || out != "" || !strings.Contains(err.Error(), "admins, data-scientists") {
		t.Fatalf("readers is not configured in this file, so it is unknown: exit %d %v\n%s", exitCode(err), err, out)
	}
}

func TestAuthzCheckBadInput(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// TestAuthzCheckUnknownGroupIsAnError (issue 22 item 9, walk-through F13):
// `--group wizards` or the typo `reader` answered "deny", exit 0. It is bad
// input, as in `users add`: exit 2, the configured groups listed, the fix
// named, nothing on stdout.
func TestAuthzCheckUnknownGroupIsAnError(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"authz", "check", "--group", "wizards", "GET", "/"},
		{"authz", "check", "--group", "readers", "--group", "reader", "GET", "/"},
		{"authz", "check", "-o", "json", "--group", "wizards", "GET", "/"},
		{"authz", "show", "--group", "reader"},
		{"authz", "show", "-o", "json", "--group", "wizards"},
	} {
		out, _, err := runCLI(t, args...)
		if exitCode(err) != 2 || out != "" {
			t.Errorf("%v: exit %d, stdout %q, want exit 2 and nothing", args, exitCode(err), out)
			continue
		}
		for _, want := range []string{"unknown group", "admins, model-approvers, readers", "groups: in mlflowctl.yaml"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%v: %q lacks %q", args, err, want)
			}
		}
	}
}

// TestAuthzCheckExitStatusIsTheAnswer (issue 22 item 9): as `kubectl auth
// can-i`, 0 is allow and 1 is deny, so `if mlflowctl authz check ...` works;
// a deny is an answer, printed on stdout, not an error on stderr; -g is
// --group's short flag as in `users`; -o json stays one document.
func TestAuthzCheckExitStatusIsTheAnswer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args  []string
		allow bool
	}{
		{[]string{"-g", "readers", "GET", "/api/2.0/mlflow/runs/get"}, true},
		{[]string{"-g", "readers", "POST", "/api/2.0/mlflow/runs/create"}, false},
		{[]string{"-g", "readers", "-g", "model-approvers", "PATCH", "/api/2.0/mlflow/model-versions/update"}, true},
		{[]string{"-g", "readers", "GET", "/ajax-api/2.0/mlflow/not-a-route"}, false},
	}
	for _, c := range cases {
		want := map[bool]int{true: 0, false: 1}[c.allow]
		for _, json := range []bool{false, true} {
			args := append([]string{"authz", "check"}, c.args...)
			if json {
				args = append(args, "-o", "json")
			}
			var out, errOut strings.Builder
			err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, inTest(t, environment{}))
			if exitCode(err) != want {
				t.Errorf("%v: exit %d (%v), want %d", args, exitCode(err), err, want)
			}
			if err != nil && !silent(err) {
				t.Errorf("%v: the deny would be printed as an error: %v", args, err)
			}
			if errOut.Len() != 0 {
				t.Errorf("%v: stderr %q", args, errOut.String())
			}
			if !json {
				if verdict := map[bool]string{true: "allow\n", false: "deny\n"}[c.allow]; !strings.HasPrefix(out.String(), verdict) {
					t.Errorf("%v: stdout %q, want it to start with %q", args, out.String(), verdict)
				}
				continue
			}
			dec := jsonDecoder(out.String())
			var d struct{ Allow bool }
			if err := dec.Decode(&d); err != nil || d.Allow != c.allow || dec.More() {
				t.Errorf("%v: not one decision document (%v, allow %v, more %v):\n%s", args, err, d.Allow, dec.More(), out.String())
			}
		}
	}
}

func jsonDecoder(s string) *json.Decoder { return json.NewDecoder(strings.NewReader(s)) }

// TestAuthzShowFilters (issue 22 item 9): --group keeps the groups' rows,
// columns and the routes they may call; --path keeps the routes a request
// to that path goes to, as check resolves it (literal before parameter,
// the query string ignored, /t/ the token path).
func TestAuthzShowFilters(t *testing.T) {
	t.Parallel()
	type doc struct {
		Groups []struct{ Name string }
		Routes []struct {
			Method, Path, Class string
			Allowed             []string
		}
	}
	show := func(args ...string) doc {
		t.Helper()
		out, _, err := runCLI(t, append([]string{"authz", "show", "-o", "json"}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		var d doc
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("%v: not JSON: %v", args, err)
		}
		return d
	}
	all := show()
	readers := show("-g", "readers")
	if len(readers.Groups) != 1 || readers.Groups[0].Name != "readers" {
		t.Fatalf("--group readers shows groups %v", readers.Groups)
	}
	want := 0
	for _, r := range all.Routes {
		if slices.Contains(r.Allowed, "readers") {
			want++
		}
	}
	if len(readers.Routes) != want || want == 0 || want == len(all.Routes) {
		t.Fatalf("--group readers: %d routes, want the %d of %d readers may call", len(readers.Routes), want, len(all.Routes))
	}
	for _, r := range readers.Routes {
		if r.Class != "read" || strings.Join(r.Allowed, ",") != "readers" {
			t.Errorf("--group readers shows %+v", r)
		}
	}
	for path, want := range map[string]string{
		"/ajax-api/3.0/mlflow/traces/search":   "POST /ajax-api/3.0/mlflow/traces/search,GET /ajax-api/3.0/mlflow/traces/{trace_id}",
		"/api/2.0/mlflow/runs/get?run_id=1":    "GET /api/2.0/mlflow/runs/get",
		"/t/api/2.0/mlflow/runs/get":           "GET /api/2.0/mlflow/runs/get",
		"/api/2.0/mlflow/no-such/route/at-all": "",
	} {
		var got []string
		for _, r := range show("--path", path).Routes {
			got = append(got, r.Method+" "+r.Path)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("--path %s: %v, want %s", path, got, want)
		}
	}
	both := show("--path", "/api/2.0/mlflow/model-versions/update", "--group", "model-approvers")
	if len(both.Routes) != 1 || strings.Join(both.Routes[0].Allowed, ",") != "model-approvers" {
		t.Errorf("--path and --group together: %+v", both.Routes)
	}
	text, _, err := runCLI(t, "authz", "show", "-g", "readers", "--path", "/api/2.0/mlflow/runs/create")
	if err != nil || !strings.Contains(text, "No catalogued MLflow route matches") {
		t.Errorf("an empty selection says so: %v\n%s", err, text)
	}
	if _, _, err := runCLI(t, "authz", "show", "--path", "api/2.0/mlflow/runs/get"); exitCode(err) != 2 {
		t.Errorf("--path without / : exit %d, want 2", exitCode(err))
	}
}
