package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

// nullPaths lists where a JSON document has null (a list or object that
// is "not there" must be [] or {} or left out, so `jq '.x[]'` and
// `len(doc["x"])` work without a special case).
func nullPaths(v any, path string) []string {
	switch x := v.(type) {
	case nil:
		return []string{path}
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(out, nullPaths(e, path+"."+k)...)
		}
		slices.Sort(out)
		return out
	case []any:
		var out []string
		for i, e := range x {
			out = append(out, nullPaths(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	return nil
}

// requireOneDocumentWithoutNull decodes stdout as exactly one JSON
// document and fails on any null in it.
func requireOneDocumentWithoutNull(t *testing.T, args []string, out string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Errorf("%v: stdout is not JSON: %v\n%s", args, err, out)
		return
	}
	if dec.More() {
		t.Errorf("%v: more than one JSON document on stdout:\n%s", args, out)
	}
	if nulls := nullPaths(doc, ""); len(nulls) > 0 {
		t.Errorf("%v: null at %s\n%s", args, strings.Join(nulls, ", "), out)
	}
}

// TestJSONHasNoNullOffline (issue 22 item 13, walk-through F22): every
// command that runs without AWS, with -o json, writes one document with
// no null in it (`up --dry-run -o json` had "dependsOn": null and
// "parameters": null).
func TestJSONHasNoNullOffline(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("server:\n  cpu: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"version"},
		{"config", "show"},
		{"config", "validate"},
		{"config", "validate", "--config", bad},
		{"config", "init", "--config", filepath.Join(dir, "new.yaml")},
		{"authz", "check", "-g", "readers", "GET", "/ajax-api/2.0/mlflow/experiments/get"},
		{"authz", "check", "-g", "readers", "POST", "/api/2.0/mlflow/runs/create"},
		{"authz", "show"},
		{"authz", "show", "--path", "/no/such/route"},
		{"up", "--dry-run", "--region", "us-east-1", "--out", filepath.Join(dir, "rendered")},
		{"env", "--sigv4", "--tracking-uri", "https://abc.execute-api.us-east-1.amazonaws.com/prod"},
	} {
		args = append(args, "-o", "json")
		out, errOut, err := runCLI(t, args...)
		if err != nil && out == "" {
			t.Errorf("%v: exit %d: %v\n%s", args, exitCode(err), err, errOut)
			continue
		}
		requireOneDocumentWithoutNull(t, args, out)
	}
}

// TestJSONHasNoNullInDoctor: doctor's report over moto and the preflight
// fake (an account with three seeded problems: it exits 2 and still
// writes its one document).
func TestJSONHasNoNullInDoctor(t *testing.T) {
	t.Parallel()
	newDir(t)
	fake := seededAccount(t)
	args := []string{"doctor", "-o", "json", "--endpoint-url", fake.URL}
	out, _, err := runIn(t, "", args...)
	if exitCode(err) != 2 {
		t.Fatalf("doctor: exit %d (%v)", exitCode(err), err)
	}
	requireOneDocumentWithoutNull(t, args, out)
}

// TestJSONHasNoNullOverFakeCloudFormation: status of nothing, of a partial
// deployment and of a whole one, against the CloudFormation fake.
func TestJSONHasNoNullOverFakeCloudFormation(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	fake := cfnfake.New()
	env := withFakeAWS(t, fake, &putRecorder{})
	run := func(args ...string) {
		t.Helper()
		var out, errOut bytes.Buffer
		args = append(args, "-o", "json", "--region", "us-east-1")
		err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, inTest(t, env))
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		requireOneDocumentWithoutNull(t, args, out.String())
	}
	run("status")
	fake.Seed("mlflow-bootstrap", "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n", nil,
		map[string]string{"mlflowctl:deployment": "mlflow", "mlflowctl:stack": "bootstrap"}, types.StackStatusCreateComplete)
	run("status")
}

// TestJSONHasNoNullAfterUp: up's one document and status of the whole
// deployment, over the CloudFormation fake (its waits on synctest's clock).
func TestJSONHasNoNullAfterUp(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		env := withFakeAWS(t, cfnfake.New(), &putRecorder{})
		for _, args := range [][]string{{"up", "--yes"}, {"status"}} {
			args = append(args, "-o", "json", "--region", "us-east-1")
			out, errOut, err := runEnv(t, env, "", args...)
			if err != nil {
				t.Fatalf("%v: %v\n%s", args, err, errOut)
			}
			requireOneDocumentWithoutNull(t, args, out)
		}
	})
}

// TestJSONHasNoNullAgainstMoto: the commands that read AWS, against
// moto_server, on an empty account and a pool with and without users.
func TestJSONHasNoNullAgainstMoto(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	for _, args := range [][]string{
		{"whoami"},
		{"down", "--name", "absent"},
		{"users", "list", "--user-pool-id", e.pool},
		{"users", "add", "ada@example.com", "-g", "readers", "--temporary", "--user-pool-id", e.pool},
		{"users", "list", "--user-pool-id", e.pool},
		{"users", "set-groups", "ada@example.com", "--no-groups", "--user-pool-id", e.pool},
		{"users", "reset-password", "ada@example.com", "--temporary", "--user-pool-id", e.pool},
		{"users", "remove", "ada@example.com", "--yes", "--user-pool-id", e.pool},
		{"users", "seed", "--temporary", "--user-pool-id", e.pool},
	} {
		args = append(args, "-o", "json")
		out, errOut, err := e.run(t, stdin(""), args...)
		if err != nil && out == "" {
			t.Errorf("%v: exit %d: %v\n%s", args, exitCode(err), err, errOut)
			continue
		}
		requireOneDocumentWithoutNull(t, args, out)
	}
}
