package authz

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/golden"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// samplePath fills a route template with concrete values.
func samplePath(p string) string {
	p = regexp.MustCompile(`\{\w+\+\}`).ReplaceAllString(p, "dir/file.txt")
	return regexp.MustCompile(`\{\w+\}`).ReplaceAllString(p, "p-1")
}

func request(method, path string) string { return method + "/" + strings.TrimPrefix(path, "/") }

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"GET/api/2.0/mlflow/runs/get", "GET/api/2.0/mlflow/runs/get", true},
		{"GET/api/2.0/mlflow/runs/get", "GET/api/2.0/mlflow/runs/get-x", false},
		{"GET/api/*", "GET/api/2.0/mlflow/runs/get", true},
		{"*/*", "DELETE/a/b/c", true},
		{"*/api/*", "GET/ajax-api/2.0/x", false},
		{"GET/a/*/info", "GET/a/b/c/info", true}, // "*" crosses "/"
		{"GET/a/*/info", "GET/a/info", false},
		{"GET/a/?", "GET/a/b", true},
		{"GET/a/?", "GET/a/bc", false},
		{"get/a", "GET/a", false}, // case-sensitive
		{"GET/", "GET/", true},
		{"GET/*", "GET/", true},
		{"*a*b*c", "xxaybzc", true},
		{"*a*b*c", "xxaybzcd", false},
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// TestOverlapAgreesWithBruteForce compares Overlap with a search over
// every short string of the alphabet.
func TestOverlapAgreesWithBruteForce(t *testing.T) {
	alphabet := "ab/"
	var words []string
	var grow func(prefix string)
	grow = func(prefix string) {
		words = append(words, prefix)
		if len(prefix) == 6 {
			return
		}
		for _, c := range alphabet {
			grow(prefix + string(c))
		}
	}
	grow("")
	rng := rand.New(rand.NewPCG(1, 2))
	pattern := func() string {
		var b strings.Builder
		for range rng.IntN(5) {
			b.WriteByte("ab/*"[rng.IntN(4)])
		}
		return b.String()
	}
	for range 3000 {
		a, b := pattern(), pattern()
		want := slices.ContainsFunc(words, func(w string) bool { return Match(a, w) && Match(b, w) })
		if got := Overlap(a, b); got != want {
			t.Fatalf("Overlap(%q, %q) = %v, brute force says %v", a, b, got, want)
		}
	}
}

func TestCatalogueLookupFindsEveryRoute(t *testing.T) {
	routes := Catalogue()
	if len(routes) < 500 {
		t.Fatalf("catalogue has %d routes; the servers register more than 500", len(routes))
	}
	for _, r := range routes {
		got, ok := Lookup(r.Method, samplePath(r.Path))
		if !ok || got.Method != r.Method || Shape(got.Path) != Shape(r.Path) {
			t.Errorf("Lookup(%s %s) = %+v, %v; want %s %s", r.Method, samplePath(r.Path), got, ok, r.Method, r.Path)
		}
	}
	// Literal segments beat parameters, whatever order the table has.
	for path, want := range map[string]string{
		"/api/3.0/mlflow/traces/get":    "/api/3.0/mlflow/traces/get",
		"/api/3.0/mlflow/traces/tr-9":   "/api/3.0/mlflow/traces/{trace_id}",
		"/ajax-api/3.0/mlflow/skills/x": "/ajax-api/3.0/mlflow/skills/{name}",
	} {
		if got, _ := Lookup("GET", path); got.Path != want {
			t.Errorf("Lookup(GET %s) = %q, want %q", path, got.Path, want)
		}
	}
	if _, ok := Lookup("GET", "/api/2.0/mlflow/nothing-here"); ok {
		t.Error("an unknown path was found in the catalogue")
	}
}

func TestParseTableRejectsBadRows(t *testing.T) {
	for _, table := range []string{
		"read GET both",
		"reader GET both /x",
		"read GET twice /x",
		"read GET both /x\nwrite GET both /x",
		"read|reader GET both /x",
		"read GET root /a/{id}\nwrite GET root /a/{name}",
	} {
		if _, err := parseTable(table); err == nil {
			t.Errorf("parseTable(%q) accepted a bad table", table)
		}
	}
}

func allClassSets() [][]string {
	var out [][]string
	for mask := 1; mask < 1<<len(Classes); mask++ {
		var set []string
		for i, c := range Classes {
			if mask&(1<<i) != 0 {
				set = append(set, c)
			}
		}
		out = append(out, set)
	}
	return out
}

// TestPoliciesGrantExactlyTheirClasses checks every class combination: each
// route of a granted class on the surface matches a pattern, and no route
// of another class anywhere in the catalogue matches one.
// Every combination must fit its budget.
func TestPoliciesGrantExactlyTheirClasses(t *testing.T) {
	for _, set := range allClassSets() {
		for surface, gen := range map[string]func([]string) ([]string, error){SurfaceSDK: IAMResources, SurfaceUI: UIResources, SurfaceToken: TokenResources} {
			rs, err := gen(set)
			if err != nil {
				t.Errorf("%s %v: %v", surface, set, err)
				continue
			}
			for _, r := range Catalogue() {
				{
					// Each surface in its namespace: the token path
					// carries the SDK surface's routes under TokenPrefix.
					path, on := samplePath(r.Path), onSurface(r.Path, surface)
					if surface == SurfaceToken {
						path, on = TokenPrefix+path, onSurface(r.Path, SurfaceSDK)
					}
					req := request(r.Method, path)
					matched := slices.ContainsFunc(rs, func(p string) bool { return Match(p, req) })
					granted := r.GrantedBy(set)
					if granted && on && !matched {
						t.Errorf("%s %v: %s (%s) is granted but no pattern matches", surface, set, req, r.Class)
					}
					if !granted && matched {
						t.Errorf("%s %v: %s (%s) is not granted but a pattern matches", surface, set, req, r.Class)
					}
				}
			}
		}
	}
}

func TestInvalidClasses(t *testing.T) {
	for _, set := range [][]string{nil, {}, {"reader"}, {"read", "superuser"}} {
		if _, err := IAMResources(set); err == nil {
			t.Errorf("IAMResources(%q) accepted it", set)
		}
	}
	if _, err := AuthorizerPolicy([]config.Group{{Name: "x", Classes: []string{"nope"}}}); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("AuthorizerPolicy with a bad class: %v", err)
	}
}

// TestIAMPoliciesFitTheLimit renders each default group's role policy with
// the template's prefix and with a long resolved ARN prefix.
func TestIAMPoliciesFitTheLimit(t *testing.T) {
	long := "arn:aws-us-gov:execute-api:ap-southeast-2:123456789012:abcdefghij/" + strings.Repeat("s", 20) + "/"
	for _, g := range config.Defaults().Groups {
		rs, err := IAMResources(g.Classes)
		if err != nil {
			t.Fatal(err)
		}
		for _, prefix := range []string{IAMResourcePrefix, long} {
			doc, err := IAMPolicyDocument(g.Classes, prefix)
			if err != nil {
				t.Fatal(err)
			}
			if len(doc) > IAMPolicyBudget || len(doc) > 10240 {
				t.Errorf("%s: policy with prefix %q is %d characters, over %d", g.Name, prefix, len(doc), IAMPolicyBudget)
			}
			if want := PolicySize(rs, len(prefix)); len(doc) != want {
				t.Errorf("%s: PolicySize says %d, rendered %d", g.Name, want, len(doc))
			}
			var parsed struct{ Statement []struct{ Resource []string } }
			if err := json.Unmarshal(doc, &parsed); err != nil || len(parsed.Statement[0].Resource) != len(rs) {
				t.Errorf("%s: policy does not hold its resources: %v", g.Name, err)
			}
		}
		t.Logf("%s: %d IAM resources, %d characters", g.Name, len(rs), PolicySize(rs, len(IAMResourcePrefix)))
	}
}

func TestCompactKeepsExactPatternsWithoutPressure(t *testing.T) {
	got, err := compact([]string{"GET/a/x", "GET/a/y", "GET/a/x"}, []string{"GET/a/z"}, 10240)
	if err != nil || !slices.Equal(got, []string{"GET/a/x", "GET/a/y"}) {
		t.Fatalf("compact = %v, %v", got, err)
	}
	got, err = compact([]string{"GET/a/x", "GET/a/y", "POST/a/x"}, []string{"DELETE/a/x", "GET/b"}, PolicySize([]string{"GET/a/*"}, MaxARNPrefixLen)+MaxARNPrefixLen+12)
	if err != nil || !slices.Equal(got, []string{"GET/a/*", "POST/a/x"}) {
		t.Fatalf("compact under pressure = %v, %v", got, err)
	}
	// No prefix wildcard is safe here; a common suffix is.
	got, err = compact([]string{"GET/a/x/end", "GET/b/y/end"}, []string{"GET/a/z", "GET/b/w"}, PolicySize([]string{"GET/*/end"}, MaxARNPrefixLen))
	if err != nil || !slices.Equal(got, []string{"GET/*/end"}) {
		t.Fatalf("compact with a common suffix = %v, %v", got, err)
	}
	if _, err := compact([]string{"GET/a/x", "GET/a/y"}, []string{"GET/a/xy", "GET/a/*z"}, 10); err == nil {
		t.Fatal("compact claimed to fit an impossible budget")
	}
}

func TestAuthorizerPolicyIsDeterministic(t *testing.T) {
	groups := config.Defaults().Groups
	a, err := AuthorizerPolicy(groups)
	if err != nil {
		t.Fatal(err)
	}
	reversed := slices.Clone(groups)
	slices.Reverse(reversed)
	b, err := AuthorizerPolicy(reversed)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("policy depends on group order (err %v)", err)
	}
	var doc AuthorizerDoc
	if err := json.Unmarshal(a, &doc); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(doc.Groups["admins"], []string{"*/*"}) || len(doc.Groups["readers"]) == 0 {
		t.Fatalf("unexpected groups: %v", doc.Groups)
	}
	for _, rs := range doc.Groups {
		for _, r := range rs {
			// The token path's statements are the SDK surface's under /t/;
			// the bare /api/... is IAM's alone.
			if strings.HasPrefix(strings.SplitN(r, "/", 2)[1], "api/") {
				t.Errorf("authorizer statement %q is on the SDK surface", r)
			}
		}
	}
}

// TestGoldenFiles keeps the files the Node tests read in step with the
// generator: go test ./pkg/authz -run TestGoldenFiles -update (or
// UPDATE_GOLDEN=1) rewrites them.
func TestGoldenFiles(t *testing.T) {
	groups := config.Defaults().Groups
	policy, err := AuthorizerPolicy(groups)
	if err != nil {
		t.Fatal(err)
	}
	iam := map[string][]string{}
	for _, g := range groups {
		if iam[g.Name], err = IAMResources(g.Classes); err != nil {
			t.Fatal(err)
		}
	}
	iamJSON, _ := json.MarshalIndent(map[string]any{"version": 1, "groups": iam}, "", " ")
	iamJSON = append(iamJSON, '\n')
	dir := filepath.Join("..", "..", "templates", "authorizer")
	for name, want := range map[string][]byte{
		"policy.json":                 policy,
		"testdata/iam-resources.json": iamJSON,
	} {
		golden.Assert(t, filepath.Join(dir, name), want)
	}
}

func TestPackageAuthorizerIsDeterministic(t *testing.T) {
	cfg := config.Defaults()
	a, keyA, err := PackageAuthorizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, keyB, err := PackageAuthorizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || keyA != keyB {
		t.Fatal("two builds of the same input differ")
	}
	sum := sha256.Sum256(a)
	if keyA != "authorizer/"+hex.EncodeToString(sum[:])+".zip" {
		t.Fatalf("key %q is not authorizer/<sha256>.zip", keyA)
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Mode().Perm() != 0o644 || !f.Modified.Equal(zipTime) {
			t.Errorf("%s: mode %v time %v, want 0644 and %v", f.Name, f.Mode(), f.Modified, zipTime)
		}
		if f.Name == "policy.json" {
			rc, _ := f.Open()
			got, _ := io.ReadAll(rc)
			want, _ := AuthorizerPolicy(cfg.Groups)
			if !bytes.Equal(got, want) {
				t.Error("policy.json in the zip is not the generated policy")
			}
		}
	}
	if !slices.Equal(names, []string{"authorizer.mjs", "index.mjs", "policy.json"}) {
		t.Fatalf("zip holds %v", names)
	}
	cfg.Groups = append(cfg.Groups, config.Group{Name: "gateway-users", Classes: []string{"read", "gateway"}})
	_, keyC, err := PackageAuthorizer(cfg)
	if err != nil || keyC == keyA {
		t.Fatalf("another policy gave the same key (err %v)", err)
	}
}

// BenchmarkCompact measures generating one role's policy from scratch.
func BenchmarkCompact(b *testing.B) {
	for b.Loop() {
		iamCache.Clear()
		if _, err := IAMResources([]string{"read", "registry"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUnknownGroups (issue 22 item 9): a name that is not a configured
// group is reported, trimmed and once, so `authz check` can refuse it.
func TestUnknownGroups(t *testing.T) {
	groups := config.Defaults().Groups
	got := UnknownGroups(groups, []string{"readers", " wizards", "reader", "wizards", "admins "})
	if strings.Join(got, ",") != "wizards,reader" {
		t.Fatalf("unknown %q, want wizards,reader", got)
	}
	if got := UnknownGroups(groups, []string{"readers", "model-approvers"}); len(got) != 0 {
		t.Fatalf("configured groups reported unknown: %q", got)
	}
}
