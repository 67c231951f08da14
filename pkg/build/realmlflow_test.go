package build

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the image entrypoints with the real MLflow 2.12.2 (a venv
// made by .ci/setup.d/50-mlflow-2.12.2.sh with the images' pins) and a real
// PostgreSQL on 127.0.0.1, as ECS would run them, minus the container.

const serviceTimeout = 120 * time.Second

// mlflowVenv is the MLflow 2.12.2 venv built from the images' lock file.
func mlflowVenv(t *testing.T) string {
	t.Helper()
	return lockedVenv(t, "2.12.2")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// postgres is a PostgreSQL server on 127.0.0.1 in a scratch directory.
type postgres struct {
	bin, dir, sock string
	port           int
	asUser         []string
}

func startPostgres(t *testing.T) *postgres {
	t.Helper()
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL is not installed: .ci/setup.d/50-mlflow-2.12.2.sh installs it")
		}
		t.Skip("PostgreSQL is not installed")
	}
	pg := &postgres{bin: filepath.Dir(matches[0]), port: freePort(t)}
	dir, err := os.MkdirTemp("", "mlflowctl-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	pg.dir, pg.sock = dir, dir
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 { // initdb refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		pg.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	pg.run(t, "initdb", "-D", filepath.Join(dir, "data"), "--auth-local=trust", "--auth-host=scram-sha-256", "-U", "postgres")
	pg.run(t, "pg_ctl", "-D", filepath.Join(dir, "data"), "-l", filepath.Join(dir, "log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-k %s -h 127.0.0.1 -p %d -c log_connections=on", dir, pg.port), "start")
	t.Cleanup(func() { pg.stop(t) })
	return pg
}

func (pg *postgres) run(t *testing.T, tool string, args ...string) string {
	t.Helper()
	argv := append(append([]string{}, pg.asUser...), append([]string{filepath.Join(pg.bin, tool)}, args...)...)
	ctx, cancel := context.WithTimeout(context.Background(), serviceTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	return string(out)
}

func (pg *postgres) sql(t *testing.T, stmt string) {
	t.Helper()
	pg.run(t, "psql", "-h", pg.sock, "-p", strconv.Itoa(pg.port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", stmt)
}

// stop ends the postmaster by its process id (fast shutdown).
func (pg *postgres) stop(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(pg.dir, "data", "postmaster.pid"))
	if err != nil {
		return
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if pid <= 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGINT)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Logf("postgres %d killed after a slow shutdown", pid)
}

// service is an entrypoint running in its own process group.
type service struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (s *service) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *service) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

func startService(t *testing.T, python, script string, env []string) *service {
	t.Helper()
	s := &service{done: make(chan struct{})}
	s.cmd = exec.Command(python, script)
	s.cmd.Dir = filepath.Dir(script)
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = s, s
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.stop)
	return s
}

// stop ends the service's process group by its id, politely first.
func (s *service) stop() {
	pgid := -s.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-s.done
	}
}

// waitHealthy polls url until it answers 200, the process exits, or time runs out.
func (s *service) waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(serviceTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			t.Fatalf("exited before it was healthy:\n%s", s.log())
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("not healthy within %s:\n%s", serviceTimeout, s.log())
}

func baseEnv(venv string) []string {
	return []string{"PATH=" + filepath.Join(venv, "bin") + ":/usr/bin:/bin", "HOME=" + os.TempDir(), "LANG=C.UTF-8"}
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
	pg := startPostgres(t)
	pg.sql(t, `CREATE ROLE "ml flow" LOGIN PASSWORD $pw$`+dbPassword+`$pw$`)
	pg.sql(t, `CREATE DATABASE mlflow OWNER "ml flow"`)
	script := filepath.Join(extract(t, "server"), "entrypoint.py")
	secret := fmt.Sprintf(`{"username":"ml flow","password":%q}`, dbPassword)
	port := freePort(t)
	env := append(baseEnv(venv), "DB_SECRET="+secret, "DB_HOST=127.0.0.1", "DB_PORT="+strconv.Itoa(pg.port), "DB_NAME=mlflow",
		"ARTIFACT_ROOT="+t.TempDir(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "WORKERS=1", "MLFLOW_VERSION=2.12.2")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	python := filepath.Join(venv, "bin", "python")

	first := startService(t, python, script, env)
	first.waitHealthy(t, base+"/health")
	created := httpBody(t, http.MethodPost, base+"/api/2.0/mlflow/experiments/create", `{"name":"mlflowctl-check"}`)
	if !strings.Contains(created, "experiment_id") {
		t.Fatalf("create experiment: %s", created)
	}
	noPassword(t, first)
	first.stop()
	if !strings.Contains(first.log(), "new database") {
		t.Errorf("first start did not leave the new database to the server:\n%s", first.log())
	}

	second := startService(t, python, script, env)
	second.waitHealthy(t, base+"/health")
	got := httpBody(t, http.MethodGet, base+"/api/2.0/mlflow/experiments/get-by-name?experiment_name=mlflowctl-check", "")
	if !strings.Contains(got, "mlflowctl-check") {
		t.Fatalf("experiment lost across restarts: %s", got)
	}
	if !strings.Contains(second.log(), "upgrading the database schema") {
		t.Errorf("second start did not run mlflow db upgrade:\n%s", second.log())
	}
	noPassword(t, second)
}

// noPassword checks the service's output and every command line in its
// process group.
func noPassword(t *testing.T, s *service) {
	t.Helper()
	needles := []string{dbPassword, "p%40ss", "p@ss"}
	for _, n := range needles {
		if strings.Contains(s.log(), n) {
			t.Errorf("output shows the password (%q)", n)
		}
	}
	// The server runs in its own process group under the entrypoint: walk the tree.
	pids := append([]int{s.cmd.Process.Pid}, tree(s.cmd.Process.Pid)...)
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
	port := freePort(t)
	env := append(baseEnv(venv), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "WORKERS=1", "GATEWAY_CONFIG="+config)
	gw := startService(t, filepath.Join(venv, "bin", "python"), filepath.Join(dir, "entrypoint.py"), env)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	gw.waitHealthy(t, base+"/health")
	list := httpBody(t, http.MethodGet, base+"/api/2.0/endpoints/", "")
	for _, want := range []string{`"name":"completions"`, `"provider":"bedrock"`, `"endpoint_type":"llm/v1/completions"`} {
		if !strings.Contains(list, want) {
			t.Errorf("endpoint list lacks %s: %s", want, list)
		}
	}
}
