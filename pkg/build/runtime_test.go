package build

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/internal/mlflowtest"
	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/internal/pgtest"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// These tests run the server image's own files (RenderServer's build
// context, written to a directory) with the real MLflow of each supported
// version, installed from the same lock file the image installs, against a
// real PostgreSQL on 127.0.0.1. Only Secrets Manager is a stand-in
// (moto_server, for GetSecretValue and PutSecretValue with version
// stages; it does not model KMS, resource policies or RDS's rotation
// Lambda: the test plays the rotation's steps itself).

// serverImageDir writes the server image's build context to a directory:
// the entrypoint the tests run is the file the image ships.
func serverImageDir(t *testing.T, cfg config.Config) string {
	t.Helper()
	im, err := RenderServer(cfg, "eu-west-1", PlatformAMD64)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, b := range im.Files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// renderedTask is what the services stack renders for cfg: the task memory
// (MiB) and the WORKERS the container gets.
func renderedTask(t *testing.T, cfg config.Config) (memory int, workers string) {
	t.Helper()
	d, err := stacks.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Stacks {
		if s.ID != stacks.Services {
			continue
		}
		_, task, found := strings.Cut(string(s.Template), "ServerTaskDefinition:")
		if !found {
			t.Fatal("services stack without ServerTaskDefinition")
		}
		m := regexp.MustCompile(`Memory: "(\d+)"`).FindStringSubmatch(task)
		w := regexp.MustCompile(`Name: WORKERS\s+Value: (\d+)`).FindStringSubmatch(task)
		if m == nil || w == nil {
			t.Fatalf("server task definition without Memory or WORKERS:\n%s", task[:2000])
		}
		memory, _ = strconv.Atoi(m[1])
		return memory, w[1]
	}
	t.Fatal("no services stack")
	return 0, ""
}

// secrets plays Secrets Manager (moto) through the venv's boto3.
type secrets struct {
	python, url string
}

func (s secrets) call(t *testing.T, code string, args ...string) string {
	t.Helper()
	script := "import boto3, sys, json\nc = boto3.client('secretsmanager', endpoint_url=sys.argv[1], region_name='" + mototest.Region + "')\n" + code
	cmd := exec.Command(s.python, append([]string{"-c", script, s.url}, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + os.TempDir(), "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("secrets manager stand-in: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func (s secrets) create(t *testing.T, name, password string) string {
	return s.call(t, "print(c.create_secret(Name=sys.argv[2], SecretString=json.dumps({'username': 'mlflow', 'password': sys.argv[3]}))['ARN'])", name, password)
}

// put stores a new version of the secret in stage (AWSPENDING, AWSCURRENT).
func (s secrets) put(t *testing.T, arn, password, stage string) {
	s.call(t, "c.put_secret_value(SecretId=sys.argv[2], SecretString=json.dumps({'username': 'mlflow', 'password': sys.argv[3]}), VersionStages=[sys.argv[4]])", arn, password, stage)
}

// container is the server entrypoint run as a container's PID 1: in its
// own PID namespace (unshare, as root), where a signal without a handler
// is ignored, as in the container.
type container struct {
	*mlflowtest.Proc
	pid1 int // the entrypoint's pid as seen from here
}

func startContainer(t *testing.T, python, dir string, env []string) *container {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a PID namespace (unshare --pid)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare is not installed")
	}
	cmd := exec.Command(unshare, "--pid", "--fork", "--kill-child", python, filepath.Join(dir, "entrypoint.py"))
	cmd.Dir = dir
	cmd.Env = env
	p := mlflowtest.StartCmd(t, cmd)
	// Whatever is left goes with the namespace's PID 1: SIGKILL to the
	// group and the tree takes every process in it along.
	t.Cleanup(p.Kill)
	c := &container{Proc: p}
	for deadline := time.Now().Add(10 * time.Second); c.pid1 == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if kids := mlflowtest.Children(cmd.Process.Pid); len(kids) > 0 {
			c.pid1 = kids[0]
		}
	}
	if c.pid1 == 0 {
		t.Fatalf("unshare started no entrypoint:\n%s", p.Log())
	}
	return c
}

// stopTime sends SIGTERM to PID 1, as ECS does, and returns how long the
// container took to exit; false if it was still running after limit.
func (c *container) stopTime(limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	_ = syscall.Kill(c.pid1, syscall.SIGTERM)
	select {
	case <-c.Done():
		return time.Since(start), true
	case <-time.After(limit):
		return limit, false
	}
}

// pssMiB is the summed proportional set size of pid's descendants: the
// memory the task's cgroup is charged for, shared pages split fairly.
func pssMiB(pid int) float64 {
	var kb int64
	for _, p := range mlflowtest.Tree(pid) {
		f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", p))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "Pss:" {
				n, _ := strconv.ParseInt(fields[1], 10, 64)
				kb += n
			}
		}
		_ = f.Close()
	}
	return float64(kb) / 1024
}

// burst is real client traffic: three MLflow Python clients at once, each
// creating runs with parameters and metrics, then searching them.
const burst = `
import sys, time
from mlflow import MlflowClient
from mlflow.entities import Metric, Param
c = MlflowClient(tracking_uri=sys.argv[1])
exp = c.create_experiment("burst-%d" % time.time_ns())
for i in range(int(sys.argv[2])):
    run = c.create_run(exp)
    now = int(time.time() * 1000)
    c.log_batch(run.info.run_id, metrics=[Metric("loss", 1.0 / (s + 1), now, s) for s in range(50)],
                params=[Param("p%d" % j, str(j)) for j in range(10)])
    c.set_terminated(run.info.run_id)
assert len(c.search_runs([exp], max_results=100)) == int(sys.argv[2])
c.search_experiments()
`

// runBurst runs the clients while sampling the tree's PSS; the peak.
func runBurst(t *testing.T, python, url string, root int) float64 {
	t.Helper()
	script := filepath.Join(t.TempDir(), "burst.py")
	if err := os.WriteFile(script, []byte(burst), 0o644); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := exec.Command(python, script, url, "15").CombinedOutput(); err != nil {
				errs <- fmt.Sprintf("%v\n%s", err, out)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	peak := 0.0
	for sampling := true; sampling; {
		select {
		case <-done:
			sampling = false
		case <-time.After(300 * time.Millisecond):
		}
		peak = max(peak, pssMiB(root))
	}
	close(errs)
	for e := range errs {
		t.Fatalf("client burst failed: %s", e)
	}
	return peak
}

func status(t *testing.T, method, url, host, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// runtimeFixture is one supported version's server started like ECS
// starts it, with the default configuration's task size.
type runtimeFixture struct {
	version, python, dir, base, authFile string
	env                                  []string
	pg                                   *pgtest.Server
	sm                                   secrets
	arn                                  string
	memory                               int
	c                                    *container
}

const nlbHost = "Mlflow-Nlb-0A1B2C3D4E.elb.eu-west-1.amazonaws.com"

func newRuntime(t *testing.T, version string, moto *mototest.Server) *runtimeFixture {
	t.Helper()
	venv := mlflowtest.Venv(t, version)
	cfg := config.Defaults()
	cfg.MLflowVersion = version
	cfg.Region = "eu-west-1"
	if config.Major(version) == 2 {
		cfg.Gateway.Endpoints = []config.Endpoint{{Name: "completions", Type: "llm/v1/completions", Model: "anthropic.claude-v2"}}
	}
	f := &runtimeFixture{version: version, python: filepath.Join(venv, "bin", "python"), dir: serverImageDir(t, cfg)}
	var workers string
	f.memory, workers = renderedTask(t, cfg)
	f.pg = pgtest.Start(t)
	f.pg.SQL(t, `CREATE ROLE mlflow LOGIN PASSWORD $pw$`+dbPassword+`$pw$`)
	f.pg.SQL(t, `CREATE DATABASE mlflow OWNER mlflow`)
	f.sm = secrets{python: f.python, url: moto.URL}
	f.arn = f.sm.create(t, "rds!cluster-"+version, dbPassword)
	port := pgtest.FreePort(t)
	f.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	f.authFile = filepath.Join(t.TempDir(), "db-auth-refused")
	// What the task definition sets (ECS also injects the secret's value
	// at start as DB_SECRET), plus the stand-in's endpoint.
	f.env = append(mlflowtest.Env(venv), "DB_CREDENTIALS_ARN="+f.arn, fmt.Sprintf(`DB_SECRET={"username":"mlflow","password":%q}`, dbPassword), "DB_HOST=127.0.0.1", "DB_PORT="+strconv.Itoa(f.pg.Port), "DB_NAME=mlflow",
		"ARTIFACT_ROOT="+t.TempDir(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "WORKERS="+workers, "MLFLOW_VERSION="+version,
		"ALLOWED_HOSTS="+nlbHost+",*.execute-api.eu-west-1.amazonaws.com", "CORS_ALLOWED_ORIGINS=https://*.amplifyapp.com",
		"MLFLOW_CRYPTO_KEK_PASSPHRASE=test-passphrase-not-a-secret", "MLFLOWCTL_DB_AUTH_FILE="+f.authFile,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER="+moto.URL, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION="+mototest.Region)
	f.c = startContainer(t, f.python, f.dir, f.env)
	f.c.WaitHealthy(t, f.base+"/health")
	return f
}

func (f *runtimeFixture) healthcheck(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(f.python, filepath.Join(f.dir, "healthcheck.py"))
	cmd.Env = f.env
	err := cmd.Run()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// TestServerRuntimeWithRealMLflow starts the server image's entrypoint of
// every supported version as ECS starts it and checks, in order: memory
// (issue 15 point 1), the Host check (5), surviving a password rotation
// and the health check (2), no database work while idle (4) and a prompt
// stop on SIGTERM (7).
func TestServerRuntimeWithRealMLflow(t *testing.T) {
	moto := mototest.Start(t)
	for _, version := range config.SupportedMLflowVersions {
		t.Run(version, func(t *testing.T) {
			t.Parallel() // each has its own PostgreSQL; the idle windows overlap
			f := newRuntime(t, version, moto)
			t.Run("memory", f.memoryFits)
			t.Run("host-case", f.hostCase)
			t.Run("rotation", f.rotation)
			t.Run("idle", f.idle)
			t.Run("sigterm", f.sigterm)
		})
	}
}

// memoryFits: summed PSS of the process tree, idle and at the peak of a
// burst of real client traffic, stays under 75 % of the task memory the
// default configuration renders. Fargate stops a task whose container
// exceeds the task memory (OutOfMemoryError: Container killed due to
// memory usage): https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
func (f *runtimeFixture) memoryFits(t *testing.T) {
	time.Sleep(3 * time.Second) // let the workers finish starting
	idle := pssMiB(f.c.Cmd.Process.Pid)
	loaded := runBurst(t, f.python, f.base, f.c.Cmd.Process.Pid)
	limit := 0.75 * float64(f.memory)
	t.Logf("MLflow %s: summed PSS idle %.0f MiB, loaded peak %.0f MiB; task memory %d MiB (75%% = %.0f MiB)", f.version, idle, loaded, f.memory, limit)
	if idle == 0 || loaded == 0 {
		t.Fatal("no PSS measured: the process tree was not found")
	}
	if idle >= limit || loaded >= limit {
		t.Errorf("MLflow %s needs %.0f MiB idle, %.0f MiB loaded: over 75%% of the default task's %d MiB", f.version, idle, loaded, f.memory)
	}
}

// hostCase: Host names are case-insensitive (RFC 9110 section 4.2.3) and
// the NLB DNS name CloudFormation returns may hold capitals, while MLflow
// 3.5+ compares Host headers case-sensitively. Every case of an allowed
// name must pass, any port too; another name must still be refused.
func (f *runtimeFixture) hostCase(t *testing.T) {
	if config.Major(f.version) < 3 {
		t.Skip("MLflow 2.x has no Host check")
	}
	api := f.base + "/api/2.0/mlflow/experiments/search"
	for _, host := range []string{strings.ToLower(nlbHost), strings.ToUpper(nlbHost), nlbHost, "mLfLoW-nLb-0a1b2c3d4e.ELB.eu-west-1.amazonaws.com:80", "AbCd1234.Execute-Api.eu-west-1.amazonaws.com"} {
		if got := status(t, http.MethodPost, api, host, `{"max_results": 1}`); got != http.StatusOK {
			t.Errorf("Host %s: %d, want 200", host, got)
		}
	}
	for _, host := range []string{"evil.example.com", strings.ToLower(nlbHost) + ".evil.example.com"} {
		if got := status(t, http.MethodPost, api, host, `{"max_results": 1}`); got != http.StatusForbidden {
			t.Errorf("Host %s: %d, want 403", host, got)
		}
	}
}

// rotation plays RDS's rotation of the managed master secret: the new
// password is stored as AWSPENDING, set on the role, the server's
// connections are killed, then the new version becomes AWSCURRENT.
// Requests run all the while and must all succeed, with no restart.
// Steps: https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html
// RDS-managed rotation: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html
//
// Killing the connections is harsher than a rotation (PostgreSQL keeps
// open sessions across ALTER ROLE ... PASSWORD); it stands for a failover
// during the rotation. A request whose transaction was running at the
// moment of the kill loses its connection and gets 503 — no server can
// avoid that — and the MLflow client retries 503 (mlflow/utils/rest_utils.py,
// _TRANSIENT_FAILURE_RESPONSE_CODES). So such a request is retried once,
// as the client would, and must then succeed; a failure of a request that
// did not overlap the kill, or a failed retry, fails the test (seen in CI
// of stop 26's resubmission: 1 of 183 requests was in flight at the kill).
func (f *runtimeFixture) rotation(t *testing.T) {
	var kill rotationWindow
	stop := make(chan struct{})
	results := make(chan rotationResult, 10000)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			results <- f.createWithRetryAcrossKill(fmt.Sprintf("rotation-%d-%d", time.Now().UnixNano(), i), &kill)
		}
	}()
	const newPassword = `n3w:p@ss/w%rd`
	time.Sleep(time.Second)
	f.sm.put(t, f.arn, newPassword, "AWSPENDING")
	f.pg.SQL(t, `ALTER ROLE mlflow PASSWORD $pw$`+newPassword+`$pw$`)
	kill.opened()
	f.pg.Query(t, "postgres", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'mlflow'")
	kill.closed()
	time.Sleep(2 * time.Second)
	f.sm.put(t, f.arn, newPassword, "AWSCURRENT")
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	close(results)
	n, retried, failed := 0, 0, map[int]int{}
	for r := range results {
		n++
		if r.retried {
			retried++
		}
		if r.status != http.StatusOK {
			failed[r.status]++
		}
	}
	t.Logf("MLflow %s: %d requests across the rotation, %d in flight at the kill and retried, failures by status %v", f.version, n, retried, failed)
	if n < 10 || len(failed) > 0 {
		t.Errorf("requests across a password rotation: %d sent, failures by status %v:\n%s", n, failed, f.c.Log())
	}
	if code := f.healthcheck(t); code != 0 {
		t.Errorf("health check after the rotation: exit %d, want 0", code)
	}

	// A password the secret does not hold: requests fail, and so must the
	// health check, so ECS replaces the task. Then it recovers.
	f.pg.SQL(t, `ALTER ROLE mlflow PASSWORD 'not-in-the-secret'`)
	if got := status(t, http.MethodPost, f.base+"/api/2.0/mlflow/experiments/search", "", `{"max_results": 1}`); got == http.StatusOK {
		t.Fatalf("a request succeeded with a refused password")
	}
	if code := f.healthcheck(t); code == 0 {
		t.Error("health check passes while the database refuses the task's credentials")
	}
	f.pg.SQL(t, `ALTER ROLE mlflow PASSWORD $pw$`+newPassword+`$pw$`)
	if got := status(t, http.MethodPost, f.base+"/api/2.0/mlflow/experiments/search", "", `{"max_results": 1}`); got != http.StatusOK {
		t.Errorf("after the password is right again: %d", got)
	}
	if code := f.healthcheck(t); code != 0 {
		t.Errorf("health check after recovery: exit %d, want 0", code)
	}
	noSecretShown(t, f.c.Log(), dbPassword, newPassword)
}

func noSecretShown(t *testing.T, log string, passwords ...string) {
	t.Helper()
	for _, p := range passwords {
		if strings.Contains(log, p) {
			t.Errorf("the server's output shows a password")
		}
	}
}

// idleSeconds is how long idle watches the database: longer than MLflow
// 3.x's one-minute periodic tasks. MLFLOWCTL_IDLE_SECONDS measures longer.
func idleSeconds() int {
	if n, err := strconv.Atoi(os.Getenv("MLFLOWCTL_IDLE_SECONDS")); err == nil && n > 0 {
		return n
	}
	return 70
}

// idle: with no traffic the server opens no database connection, so
// Aurora Serverless v2 can pause. Aurora pauses an instance only when it
// has had no user connection for SecondsUntilAutoPause:
// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html
// Watched in pg_stat_activity (connections held) and PostgreSQL's
// connection log (log_connections: every login, however short).
func (f *runtimeFixture) idle(t *testing.T) {
	time.Sleep(3 * time.Second) // the last requests' connections close
	before, peak := f.pg.Logins(t, "mlflow"), 0
	if before == 0 {
		t.Fatal("the PostgreSQL log records no login of the traffic before: log_connections is off")
	}
	for end := time.Now().Add(time.Duration(idleSeconds()) * time.Second); time.Now().Before(end); time.Sleep(2 * time.Second) {
		n, _ := strconv.Atoi(f.pg.Query(t, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE usename = 'mlflow'"))
		peak = max(peak, n)
	}
	logins := f.pg.Logins(t, "mlflow") - before
	t.Logf("MLflow %s: %d s idle: at most %d connections of the mlflow role held, %d logins", f.version, idleSeconds(), peak, logins)
	if peak > 0 || logins > 0 {
		t.Errorf("idle server: %d connections held, %d logins in %d s: Aurora could not pause", peak, logins, idleSeconds())
	}
}

// sigterm: ECS stops a task with SIGTERM to PID 1, then SIGKILL after the
// stop timeout (30 s by default):
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_timeout
// The container must exit before that, or every deployment waits it out.
func (f *runtimeFixture) sigterm(t *testing.T) {
	took, exited := f.c.stopTime(25 * time.Second)
	t.Logf("MLflow %s: SIGTERM to exit %.2f s", f.version, took.Seconds())
	if !exited {
		t.Fatalf("still running %s after SIGTERM to PID 1 (ECS would SIGKILL it at its stop timeout):\n%s", took, f.c.Log())
	}
}

// rotationWindow is when the test killed the server's connections.
type rotationWindow struct {
	mu         sync.Mutex
	start, end time.Time
}

func (w *rotationWindow) opened() { w.mu.Lock(); w.start = time.Now(); w.mu.Unlock() }
func (w *rotationWindow) closed() { w.mu.Lock(); w.end = time.Now(); w.mu.Unlock() }

// overlaps reports whether a request running from s to e could have had
// its connection killed.
func (w *rotationWindow) overlaps(s, e time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.start.IsZero() || e.Before(w.start) {
		return false // finished before the kill began
	}
	return w.end.IsZero() || !s.After(w.end) // started before the kill ended
}

type rotationResult struct {
	status  int // 0: no HTTP response
	retried bool
}

// createWithRetryAcrossKill creates an experiment; a 503 to a request that
// was in flight when the connections were killed is retried once, as the
// MLflow client retries 503.
func (f *runtimeFixture) createWithRetryAcrossKill(name string, kill *rotationWindow) rotationResult {
	s := time.Now()
	status := f.createExperiment(name)
	if status != http.StatusServiceUnavailable || !kill.overlaps(s, time.Now()) {
		return rotationResult{status: status}
	}
	return rotationResult{status: f.createExperiment(name), retried: true}
}

func (f *runtimeFixture) createExperiment(name string) int {
	req, _ := http.NewRequest(http.MethodPost, f.base+"/api/2.0/mlflow/experiments/create", strings.NewReader(`{"name":"`+name+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}
