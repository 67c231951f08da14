package build

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/mlflowtest"
	"github.com/mlflowctl/mlflowctl/internal/pgtest"
)

// These tests run the image entrypoints with the real MLflow 2.12.2 (a venv
// made by .ci/setup.d/50-mlflow-2.12.2.sh with the images' pins) and a real
// PostgreSQL on 127.0.0.1, as ECS would run them, minus the container.

// mlflowVenv is the MLflow 2.12.2 venv built from the images' lock file.
func mlflowVenv(t *testing.T) string {
	t.Helper()
	return mlflowtest.Venv(t, "2.12.2")
}

// startEntrypoint runs an image's entrypoint script with python, as the
// container's command.
func startEntrypoint(t *testing.T, python, script string, env []string) *mlflowtest.Proc {
	t.Helper()
	return mlflowtest.Start(t, env, python, script)
}

func httpBody(t *testing.T, method, url, body string) string {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return string(b)
}

// TestServerEntrypointWithRealMLflowAndPostgres: the RDS-style secret with
// a password full of URI characters reaches PostgreSQL intact; a new
// database is left to the server, an existing one is upgraded; the server
// answers /health and the REST API; nothing printed and no command line
// holds the password.
func TestServerEntrypointWithRealMLflowAndPostgres(t *testing.T) {
	venv := mlflowVenv(t)
	pg := pgtest.Start(t)
	pg.SQL(t, `CREATE ROLE "ml flow" LOGIN PASSWORD $pw$`+dbPassword+`$pw$`)
	pg.SQL(t, `CREATE DATABASE mlflow OWNER "ml flow"`)
	script := filepath.Join(extract(t, "server"), "entrypoint.py")
	secret := fmt.Sprintf(`{"username":"ml flow","password":%q}`, dbPassword)
	port := pgtest.FreePort(t)
	env := append(mlflowtest.Env(venv), "DB_SECRET="+secret, "DB_HOST=127.0.0.1", "DB_PORT="+strconv.Itoa(pg.Port), "DB_NAME=mlflow",
		"ARTIFACT_ROOT="+t.TempDir(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "WORKERS=1", "MLFLOW_VERSION=2.12.2")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	python := filepath.Join(venv, "bin", "python")

	first := startEntrypoint(t, python, script, env)
	first.WaitHealthy(t, base+"/health")
	created := httpBody(t, http.MethodPost, base+"/api/2.0/mlflow/experiments/create", `{"name":"mlflowctl-check"}`)
	if !strings.Contains(created, "experiment_id") {
		t.Fatalf("create experiment: %s", created)
	}
	noPassword(t, first)
	first.Stop()
	if !strings.Contains(first.Log(), "new database") {
		t.Errorf("first start did not leave the new database to the server:\n%s", first.Log())
	}

	second := startEntrypoint(t, python, script, env)
	second.WaitHealthy(t, base+"/health")
	got := httpBody(t, http.MethodGet, base+"/api/2.0/mlflow/experiments/get-by-name?experiment_name=mlflowctl-check", "")
	if !strings.Contains(got, "mlflowctl-check") {
		t.Fatalf("experiment lost across restarts: %s", got)
	}
	if !strings.Contains(second.Log(), "upgrading the database schema") {
		t.Errorf("second start did not run mlflow db upgrade:\n%s", second.Log())
	}
	noPassword(t, second)
}

// noPassword checks the service's output and every command line in its
// process group.
func noPassword(t *testing.T, s *mlflowtest.Proc) {
	t.Helper()
	needles := []string{dbPassword, "p%40ss", "p@ss"}
	for _, n := range needles {
		if strings.Contains(s.Log(), n) {
			t.Errorf("output shows the password (%q)", n)
		}
	}
	// The server runs in its own process group under the entrypoint: walk the tree.
	pids := append([]int{s.Cmd.Process.Pid}, mlflowtest.Tree(s.Cmd.Process.Pid)...)
	for _, pid := range pids {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		for _, n := range needles {
			if bytes.Contains(cmdline, []byte(n)) {
				t.Errorf("a command line shows the password: %q", bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
			}
		}
	}
	if len(pids) < 3 { // the entrypoint, the mlflow CLI and its gunicorn at least
		t.Errorf("found %d processes of the server", len(pids))
	}
}

// TestGatewayWithRealMLflow starts `mlflow deployments start-server` through
// the gateway entrypoint with the rendered endpoint file.
func TestGatewayWithRealMLflow(t *testing.T) {
	venv := mlflowVenv(t)
	cfg := testConfig("2.12.2")
	im, err := RenderGateway(cfg, "ap-southeast-2", PlatformAMD64)
	if err != nil {
		t.Fatal(err)
	}
	dir := extract(t, "gateway")
	config := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(config, im.Files["gateway.yaml"], 0o644); err != nil {
		t.Fatal(err)
	}
	port := pgtest.FreePort(t)
	env := append(mlflowtest.Env(venv), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "WORKERS=1", "GATEWAY_CONFIG="+config)
	gw := startEntrypoint(t, filepath.Join(venv, "bin", "python"), filepath.Join(dir, "entrypoint.py"), env)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	gw.WaitHealthy(t, base+"/health")
	list := httpBody(t, http.MethodGet, base+"/api/2.0/endpoints/", "")
	for _, want := range []string{`"name":"completions"`, `"provider":"bedrock"`, `"endpoint_type":"llm/v1/completions"`} {
		if !strings.Contains(list, want) {
			t.Errorf("endpoint list lacks %s: %s", want, list)
		}
	}
}
