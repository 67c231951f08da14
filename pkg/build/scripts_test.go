package build

import (
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mlflowctl/mlflowctl/templates"
)

func python(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	return py
}

// extract copies templates/docker/<kind> to a directory.
func extract(t *testing.T, kind string) string {
	t.Helper()
	dir := t.TempDir()
	sub, err := fs.Sub(templates.FS, "docker/"+kind)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dir, sub); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPythonScriptsCompile(t *testing.T) {
	py := python(t)
	for _, kind := range []string{"server", "gateway", "pyfunc"} {
		dir := extract(t, kind)
		files, _ := filepath.Glob(filepath.Join(dir, "*.py"))
		if len(files) == 0 {
			t.Fatalf("%s: no scripts", kind)
		}
		args := append([]string{"-m", "py_compile"}, files...)
		if out, err := exec.Command(py, args...).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", kind, err, out)
		}
	}
}

// TestHealthCheckScripts runs each image's health check against a local
// stand-in for the server's /health: exit 0 on 200, 1 otherwise.
func TestHealthCheckScripts(t *testing.T) {
	py := python(t)
	var status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	for _, kind := range []string{"server", "gateway"} {
		script := filepath.Join(extract(t, kind), "healthcheck.py")
		for _, tc := range []struct {
			status, port string
			code         int
		}{{"200", port, 0}, {"503", port, 1}, {"200", "1", 1}} {
			if tc.status == "200" {
				status.Store(http.StatusOK)
			} else {
				status.Store(http.StatusServiceUnavailable)
			}
			cmd := exec.Command(py, script)
			cmd.Env = append(os.Environ(), "PORT="+tc.port)
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("%s health check with %s on port %s: exit %d, want %d", kind, tc.status, tc.port, code, tc.code)
			}
		}
	}
}

func TestGatewayEntrypointArgs(t *testing.T) {
	py := python(t)
	dir := extract(t, "gateway")
	probe := `import sys, json; sys.path.insert(0, sys.argv[1]); import entrypoint as e; print(" ".join(e.gateway_args({"PORT": "5001", "WORKERS": "3"})))`
	out, err := exec.Command(py, "-c", probe, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "deployments start-server --config-path /opt/mlflowctl/gateway.yaml --host 0.0.0.0 --port 5001 --workers 3"
	if strings.TrimSpace(string(out)) != want {
		t.Fatalf("gateway args %q, want %q", out, want)
	}
}

func TestPyfuncEntrypointRejectsUnknownCommands(t *testing.T) {
	py := python(t)
	script := filepath.Join(extract(t, "pyfunc"), "serve.py")
	cmd := exec.Command(py, script, "bash")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "serve") {
		t.Fatalf("serve.py bash: %v\n%s", err, out)
	}
}
