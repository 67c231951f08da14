package authz_test

// These tests check decisions against the api stack's method table
// (stacks.MethodAuths). They are an external test package because
// pkg/stacks imports pkg/authz (the permission matrix, the authorizer
// package): an internal test importing stacks would be an import cycle.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// apiGuards are the api stack's methods for a configuration, from the
// table its template is rendered from.
func apiGuards(cfg config.Config) []authz.Guard {
	var out []authz.Guard
	for _, m := range stacks.MethodAuths(cfg) {
		out = append(out, authz.Guard{Resource: m.Resource, Authorization: m.Authorization})
	}
	return out
}

var defaultGuards = apiGuards(config.Defaults())

type vector struct {
	Groups []string `json:"groups"`
	Method string   `json:"method"`
	Path   string   `json:"path"`
	Class  string   `json:"class"`
	Expect string   `json:"expect"`
}

func loadVectors(t *testing.T) []vector {
	b, err := os.ReadFile(filepath.Join("..", "..", "templates", "authorizer", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Cases []vector }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Cases
}

func TestSharedVectors(t *testing.T) {
	cases := loadVectors(t)
	if len(cases) < 150 {
		t.Fatalf("%d vectors, want at least 150", len(cases))
	}
	seen := map[string]bool{}
	groups := config.Defaults().Groups
	for _, c := range cases {
		d, err := authz.Check(groups, defaultGuards, c.Groups, c.Method, c.Path)
		if err != nil {
			t.Fatal(err)
		}
		if got := map[bool]string{true: "allow", false: "deny"}[d.Allow]; got != c.Expect {
			t.Errorf("%v %s %s: %s (%s), want %s", c.Groups, c.Method, c.Path, got, d.Reason, c.Expect)
		}
		if c.Class != "none" && (d.Route == nil || d.Route.Class != c.Class) {
			t.Errorf("%s %s: catalogue class %+v, vectors say %s", c.Method, c.Path, d.Route, c.Class)
		}
		seen["class "+c.Class] = true
		seen["prefix "+strings.SplitN(c.Path, "/", 3)[1]] = true
		seen[map[bool]string{true: "multi-group", false: "one group"}[len(c.Groups) > 1]] = true
		seen[map[bool]string{true: "unknown group", false: ""}[len(d.Known) < len(c.Groups)]] = true
		seen[map[bool]string{true: "path parameter", false: ""}[d.Route != nil && strings.Contains(d.Route.Path, "{")]] = true
	}
	for _, want := range []string{"class read", "class write", "class registry", "class gateway", "class admin", "class none",
		"prefix api", "prefix ajax-api", "multi-group", "unknown group", "path parameter"} {
		if !seen[want] {
			t.Errorf("no vector covers %s", want)
		}
	}
}

// TestSeedTable replays the seed's authorizer table and role policies
// (research/seed-inventory.md §3–§4) with its bugs fixed as DESIGN.md §2
// says: users in several groups get the union, users in no known group get
// an explicit deny (not a 500), approvers' PATCH/DELETE registry calls work
// through IAM too.
func TestSeedTable(t *testing.T) {
	groups := config.Defaults().Groups
	cases := []struct {
		groups       []string
		method, path string
		allow        bool
	}{
		{[]string{"admins"}, "DELETE", "/ajax-api/2.0/mlflow/experiments/delete", true},
		{[]string{"admins"}, "POST", "/api/2.0/mlflow/runs/create", true},
		{[]string{"readers"}, "POST", "/ajax-api/2.0/mlflow/runs/search", true},
		{[]string{"readers"}, "POST", "/ajax-api/2.0/mlflow/experiments/search", true},
		{[]string{"readers"}, "GET", "/ajax-api/2.0/mlflow/experiments/get", true},
		{[]string{"readers"}, "GET", "/get-artifact", true},
		{[]string{"readers"}, "GET", "/model-versions/get-artifact", true},
		{[]string{"readers"}, "POST", "/ajax-api/2.0/mlflow/runs/create", false},
		{[]string{"readers"}, "POST", "/api/2.0/mlflow/runs/create", false},
		{[]string{"readers"}, "POST", "/api/2.0/mlflow/runs/search", true},
		{[]string{"readers"}, "GET", "/api/2.0/mlflow/runs/get", true},
		{[]string{"readers"}, "POST", "/ajax-api/2.0/mlflow/registered-models/create", false},
		{[]string{"model-approvers"}, "POST", "/ajax-api/2.0/mlflow/registered-models/create", true},
		{[]string{"model-approvers"}, "PATCH", "/ajax-api/2.0/mlflow/model-versions/update", true},
		{[]string{"model-approvers"}, "POST", "/ajax-api/2.0/mlflow/model-versions/transition-stage", true},
		{[]string{"model-approvers"}, "POST", "/api/2.0/mlflow/model-versions/create", true},
		{[]string{"model-approvers"}, "POST", "/api/2.0/mlflow/registered-models/create", true},
		{[]string{"model-approvers"}, "PATCH", "/api/2.0/mlflow/model-versions/update", true},    // seed: IAM denied it
		{[]string{"model-approvers"}, "DELETE", "/api/2.0/mlflow/registered-models/alias", true}, // seed: IAM denied it
		{[]string{"model-approvers"}, "POST", "/t/api/2.0/mlflow/model-versions/create", true},
		{[]string{"readers"}, "POST", "/t/api/2.0/mlflow/runs/create", false},
		{[]string{"readers"}, "GET", "/t/api/2.0/mlflow/runs/get", true},
		{[]string{"model-approvers"}, "POST", "/ajax-api/2.0/mlflow/runs/create", false},
		{[]string{"readers", "model-approvers"}, "PATCH", "/ajax-api/2.0/mlflow/model-versions/update", true}, // seed: reader rights only
		{[]string{}, "GET", "/ajax-api/2.0/mlflow/experiments/get", false},                                    // seed: 500
		{[]string{"data-scientists"}, "GET", "/ajax-api/2.0/mlflow/experiments/get", false},                   // seed: 500
	}
	for _, c := range cases {
		d, err := authz.Check(groups, defaultGuards, c.groups, c.method, c.path)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allow != c.allow {
			t.Errorf("%v %s %s: allow=%v (%s), want %v", c.groups, c.method, c.path, d.Allow, d.Reason, c.allow)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	groups := config.Defaults().Groups
	for i := 0; b.Loop(); i++ {
		path := []string{"/ajax-api/2.0/mlflow/experiments/get", "/api/2.0/mlflow/runs/search", "/ajax-api/3.0/mlflow/traces/tr-1"}[i%3]
		if _, err := authz.Check(groups, defaultGuards, []string{"readers", "model-approvers"}, "GET", path); err != nil {
			b.Fatal(err)
		}
	}
}

// TestApproverDecisions is the matrix's answer to what approvers may do
// (issue 17, items 5 and 7): register and promote, on every surface; not
// delete or rename, which are admins'.
func TestApproverDecisions(t *testing.T) {
	groups := config.Defaults().Groups
	cases := []struct {
		method, path string
		approver     bool // admins may do all of them
	}{
		// mlflow.register_model on 3.x tags the logged model after
		// creating the version.
		{"PATCH", "/api/2.0/mlflow/logged-models/m-1/tags", true},
		{"POST", "/api/2.0/mlflow/registered-models/create", true},
		{"POST", "/api/2.0/mlflow/model-versions/create", true},
		{"POST", "/api/2.0/mlflow/registered-models/alias", true},
		{"POST", "/api/2.0/mlflow/registered-models/set-tag", true},
		{"DELETE", "/api/2.0/mlflow/model-versions/delete-tag", true},
		{"DELETE", "/api/2.0/mlflow/registered-models/delete", false},
		{"DELETE", "/api/2.0/mlflow/model-versions/delete", false},
		{"POST", "/api/2.0/mlflow/registered-models/rename", true}, // curation: see routeTable
		{"DELETE", "/api/2.0/mlflow/logged-models/m-1/tags/k", false},
	}
	for _, c := range cases {
		for _, path := range []string{c.path, strings.Replace(c.path, "/api/", "/ajax-api/", 1), authz.TokenPrefix + c.path} {
			for _, who := range []string{"model-approvers", "admins", "readers"} {
				d, err := authz.Check(groups, defaultGuards, []string{who}, c.method, path)
				if err != nil {
					t.Fatal(err)
				}
				want := who == "admins" || who == "model-approvers" && c.approver
				if d.Allow != want {
					t.Errorf("%s %s %s: allow=%v (%s), want %v", who, c.method, path, d.Allow, d.Reason, want)
				}
			}
		}
	}
	// Writers (a group with write, not registry) keep logged-model tags.
	writers := []config.Group{{Name: "writers", Classes: []string{"read", "write"}}}
	if d, _ := authz.Check(writers, defaultGuards, []string{"writers"}, "PATCH", "/api/2.0/mlflow/logged-models/m-1/tags"); !d.Allow {
		t.Errorf("writers lost logged-model tags: %s", d.Reason)
	}
}

// TestUIPageLoadsAreNotForbiddenForReaders: what the 3.x UI asks on every
// page (or before showing the AI Gateway page) is allowed to readers
// (issue 17, items 6 and 8); the assistant's other routes stay admin.
func TestUIPageLoadsAreNotForbiddenForReaders(t *testing.T) {
	groups := config.Defaults().Groups
	for _, c := range []struct {
		method, path string
		allow        bool
	}{
		{"GET", "/ajax-api/3.0/mlflow/gateway/secrets/config", true},
		{"GET", "/ajax-api/2.0/mlflow/users/current", true},
		{"GET", "/ajax-api/3.0/mlflow/assistant/config", true},
		{"GET", "/ajax-api/3.0/mlflow/assistant/providers", true},
		{"PUT", "/ajax-api/3.0/mlflow/assistant/config", false},
		{"GET", "/ajax-api/3.0/mlflow/assistant/providers/claude/health", false},
		{"GET", "/ajax-api/3.0/mlflow/gateway/secrets/list", false},
	} {
		for _, who := range []string{"readers", "model-approvers"} {
			d, err := authz.Check(groups, defaultGuards, []string{who}, c.method, c.path)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != c.allow {
				t.Errorf("%s %s %s: allow=%v (%s), want %v", who, c.method, c.path, d.Allow, d.Reason, c.allow)
			}
		}
	}
}

// TestEnforcerIsWhatTheStackDoes (issue 17, item 9): check names the
// enforcer of the api stack's method on the path, for both major
// versions and the gateway variants.
func TestEnforcerIsWhatTheStackDoes(t *testing.T) {
	v3 := config.Defaults()
	v2 := config.Defaults()
	v2.MLflowVersion = "2.12.2"
	for _, c := range []struct {
		cfg        config.Config
		path, want string
	}{
		{v3, "/version", authz.EnforcerIAM},
		{v3, "/health", authz.EnforcerIAM},
		{v3, "/v1/traces", authz.EnforcerIAM},
		{v3, "/api/2.0/mlflow/runs/get", authz.EnforcerIAM},
		{v3, "/ajax-api/2.0/mlflow/runs/get", authz.EnforcerAuthorizer},
		{v3, "/", authz.EnforcerAuthorizer},
		{v3, "/get-artifact", authz.EnforcerAuthorizer},
		{v3, "/versions", authz.EnforcerAuthorizer},
		{v3, "/t/api/2.0/mlflow/runs/get", authz.EnforcerAuthorizer},
		{v2, "/v1/traces", authz.EnforcerAuthorizer}, // 2.x has no OTLP ingest method: the UI's proxy
		{v2, "/version", authz.EnforcerIAM},
	} {
		d, err := authz.Check(c.cfg.Groups, apiGuards(c.cfg), []string{"admins"}, "GET", c.path)
		if err != nil {
			t.Fatal(err)
		}
		if d.Enforcer != c.want {
			t.Errorf("MLflow %s %s: enforcer %s, want %s", c.cfg.MLflowVersion, c.path, d.Enforcer, c.want)
		}
	}
	if got, _ := authz.EnforcerFor(nil, "/x"); got != authz.EnforcerNone {
		t.Errorf("no methods: enforcer %s", got)
	}
}

// TestRoutesAtResolvesLikeCheck (issue 22 item 9): the path filter of
// `authz show` gives, per method, the route Check decides on, including a
// literal route winning over a parameter and the token path.
func TestRoutesAtResolvesLikeCheck(t *testing.T) {
	cases := map[string][]string{
		// POST goes to the literal search route, GET to the trace by id
		"/ajax-api/3.0/mlflow/traces/search":     {"GET /ajax-api/3.0/mlflow/traces/{trace_id}", "POST /ajax-api/3.0/mlflow/traces/search"},
		"/ajax-api/3.0/mlflow/traces/tr-1":       {"GET /ajax-api/3.0/mlflow/traces/{trace_id}"},
		"/t/api/2.0/mlflow/runs/get?run_id=1":    {"GET /api/2.0/mlflow/runs/get"},
		"/api/2.0/mlflow/model-versions/update":  {"PATCH /api/2.0/mlflow/model-versions/update"},
		"/api/2.0/mlflow/no-such-thing/anywhere": {},
	}
	for path, want := range cases {
		var got []string
		for _, r := range authz.RoutesAt(path) {
			got = append(got, r.Method+" "+r.Path)
			// the same route Check reports for that method
			d, err := authz.Check(config.Defaults().Groups, defaultGuards, []string{"admins"}, r.Method, path)
			if err != nil || d.Route == nil || *d.Route != r {
				t.Errorf("%s %s: RoutesAt gives %v, Check %v (%v)", r.Method, path, r, d.Route, err)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: routes %v, want %v", path, got, want)
		}
	}
}
