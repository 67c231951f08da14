package upgrade

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
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

	"github.com/mlflowctl/mlflowctl/pkg/versions"
	"github.com/mlflowctl/mlflowctl/templates"
)

// The real-data upgrade test: real PostgreSQL 15 on 127.0.0.1, the real
// MLflow 2.12.2 (the venv of .ci/setup.d/50-mlflow-2.12.2.sh, pinned as the
// 2.12.2 image is) and 3.18.0 (40-mlflow.sh + 45-mlflow-postgres-driver.sh),
// and the server image's own entrypoint.py, run as the one-off migration
// task runs it (`entrypoint.py migrate`) and as the service runs it.

const realTimeout = 180 * time.Second

const dbPassword = "upgrade:test/p@ss" // URI characters: the entrypoint must encode them

func venvPython(t *testing.T, version string) string {
	t.Helper()
	home, _ := os.UserHomeDir()
	dir := filepath.Join(home, ".cache", "mlflowctl", "mlflow-venvs", version)
	if root := os.Getenv("MLFLOWCTL_MLFLOW_VENVS"); root != "" {
		dir = filepath.Join(root, version)
	}
	if version == "2.12.2" { // the venv with the 2.12.2 image's pins (psycopg2, sqlalchemy)
		dir = filepath.Join(home, ".cache", "mlflowctl", "venv-mlflow-2.12.2")
		if v := os.Getenv("MLFLOWCTL_MLFLOW_VENV"); v != "" {
			dir = v
		}
	}
	python := filepath.Join(dir, "bin", "python")
	if err := exec.Command(python, "-c", "import mlflow, psycopg2").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no MLflow %s venv with psycopg2 at %s: .ci/setup.d makes it", version, dir)
		}
		t.Skipf("no MLflow %s venv with psycopg2 at %s (run .ci/setup.d/*mlflow*.sh)", version, dir)
	}
	return python
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
	bin, dir string
	port     int
	asUser   []string
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
	dir, err := os.MkdirTemp("", "mlflowctl-upgrade-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	pg.dir = dir
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
		"-o", fmt.Sprintf("-k %s -h 127.0.0.1 -p %d", dir, pg.port), "start")
	t.Cleanup(func() { pg.stop(t) })
	return pg
}

func (pg *postgres) command(ctx context.Context, tool string, args ...string) *exec.Cmd {
	argv := append(append([]string{}, pg.asUser...), append([]string{filepath.Join(pg.bin, tool)}, args...)...)
	return exec.CommandContext(ctx, argv[0], argv[1:]...)
}

func (pg *postgres) run(t *testing.T, tool string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), realTimeout)
	defer cancel()
	out, err := pg.command(ctx, tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	return string(out)
}

func (pg *postgres) psqlArgs(db string) []string {
	return []string{"-h", pg.dir, "-p", strconv.Itoa(pg.port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-q", "-At"}
}

// query runs one statement over the local socket and returns its output.
func (pg *postgres) query(t *testing.T, db, stmt string) string {
	t.Helper()
	return strings.TrimSpace(pg.run(t, "psql", append(pg.psqlArgs(db), "-c", stmt)...))
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

// proc is a process in its own group, its output collected.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	err  error
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func startProc(t *testing.T, env []string, argv ...string) *proc {
	t.Helper()
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Dir = filepath.Dir(argv[1])
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p, p
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.signal(syscall.SIGTERM) })
	return p
}

// signal sends sig to the process group by its id and waits for the end.
func (p *proc) signal(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *proc) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(realTimeout):
		t.Fatalf("%s did not finish within %s:\n%s", p.cmd.Path, realTimeout, p.log())
		return nil
	}
}

func (p *proc) waitHealthy(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(realTimeout); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		select {
		case <-p.done:
			t.Fatalf("exited before it was healthy:\n%s", p.log())
		default:
		}
		if resp, err := http.Get(url); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("not healthy within %s:\n%s", realTimeout, p.log())
}

// entrypoint writes the server image's entrypoint.py (the embedded file the
// Dockerfile copies) and this package's test scripts into a scratch dir.
func entrypoint(t *testing.T) string {
	t.Helper()
	// The image ships the whole server folder: entrypoint.py starts
	// migrate.py, and site/sitecustomize.py puts the credentials into each
	// connection, so the test copies all of it, as the Dockerfile does.
	dir := t.TempDir()
	err := fs.WalkDir(templates.FS, "docker/server", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, strings.TrimPrefix(p, "docker/server"))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := templates.FS.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "entrypoint.py")
}

func script(name string) string {
	abs, _ := filepath.Abs(filepath.Join("testdata", name))
	return abs
}

// python runs a test script with one venv and returns its stdout.
func python(t *testing.T, py string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), realTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Env = []string{"PATH=" + filepath.Dir(py) + ":/usr/bin:/bin", "HOME=" + os.TempDir(), "LANG=C.UTF-8"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(py), strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// taskEnv is what the task definition gives the container (DB_SECRET as
// ECS injects the RDS-managed secret).
func taskEnv(pg *postgres, py, version, artifacts string, extra ...string) []string {
	return append([]string{
		"PATH=" + filepath.Dir(py) + ":/usr/bin:/bin", "HOME=" + os.TempDir(), "LANG=C.UTF-8",
		fmt.Sprintf(`DB_SECRET={"username":"postgres","password":%q}`, dbPassword),
		"DB_HOST=127.0.0.1", "DB_PORT=" + strconv.Itoa(pg.port), "DB_NAME=mlflow",
		"ARTIFACT_ROOT=" + artifacts, "MLFLOW_VERSION=" + version,
	}, extra...)
}

// killMigrationHalfWay starts `entrypoint.py migrate`, lets it run until it
// blocks on a lock this test holds on the metrics table (the 2.12.2 → 3.18.0
// chain creates an index on metrics late, after most migrations ran), then
// kills the task's processes with SIGKILL, as ECS stopping a task or a lost
// Fargate host would. It returns the statement the migration was stuck on.
func killMigrationHalfWay(t *testing.T, pg *postgres, env []string, py, ep string) string {
	t.Helper()
	locker := pg.command(context.Background(), "psql", pg.psqlArgs("mlflow")...)
	stdin, err := locker.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := locker.Start(); err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(stdin, "BEGIN; LOCK TABLE metrics IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n")
	waitFor(t, "the metrics lock", func() bool {
		return pg.query(t, "mlflow", "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'metrics' AND l.mode = 'AccessExclusiveLock' AND l.granted") == "1"
	})
	mig := startProc(t, env, py, ep, "migrate")
	var stuck string
	waitFor(t, "the migration to block on the metrics lock", func() bool {
		stuck = pg.query(t, "postgres", "SELECT query FROM pg_stat_activity WHERE datname = 'mlflow' AND wait_event_type = 'Lock'")
		return stuck != ""
	})
	// ECS stopping the task kills every process in it; the entrypoint's
	// supervisor runs migrate.py in a process group of its own, so kill
	// the whole tree, not just the entrypoint's group.
	killTree(mig.cmd.Process.Pid)
	mig.signal(syscall.SIGKILL)
	_, _ = io.WriteString(stdin, "ROLLBACK;\n")
	_ = stdin.Close()
	_ = locker.Wait()
	waitFor(t, "the killed migration's session to end", func() bool {
		return pg.query(t, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = 'mlflow'") == "0"
	})
	return stuck
}

// killTree sends SIGKILL to pid and every process descended from it
// (found through /proc/<pid>/stat's parent field).
func killTree(pid int) {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at ")".
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 {
			if pp, err := strconv.Atoi(f[1]); err == nil {
				parent[p] = pp
			}
		}
	}
	tree := map[int]bool{pid: true}
	for grew := true; grew; {
		grew = false
		for p, pp := range parent {
			if tree[pp] && !tree[p] {
				tree[p], grew = true, true
			}
		}
	}
	for p := range tree {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(realTimeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestRealUpgrade2122To3180KeepsEveryObject fills PostgreSQL through the
// MLflow 2.12.2 client, kills a migration half-way, re-runs it as the
// one-off task, starts 3.18.0 through the image entrypoint and reads every
// object back through the 3.18.0 client over HTTP: all present and equal.
//
// MLflow runs its whole alembic chain inside one transaction
// (mlflow/store/db_migrations/env.py: context.begin_transaction()) and
// PostgreSQL DDL is transactional, so a killed migration leaves the 2.12.2
// schema untouched and the old version can keep serving; this test checks
// that instead of assuming it.
func TestRealUpgrade2122To3180KeepsEveryObject(t *testing.T) {
	py2, py3 := venvPython(t, "2.12.2"), venvPython(t, "3.18.0")
	pg := startPostgres(t)
	pg.query(t, "postgres", fmt.Sprintf("ALTER USER postgres PASSWORD '%s'", dbPassword))
	pg.query(t, "postgres", "CREATE DATABASE mlflow")
	artifacts := t.TempDir()
	dbURI := fmt.Sprintf("postgresql+psycopg2://postgres:%s@127.0.0.1:%d/mlflow", escape(dbPassword), pg.port)
	ep := entrypoint(t)

	python(t, py2, script("fill.py"), dbURI, artifacts)
	before := python(t, py2, script("dump.py"), dbURI)
	head2 := pg.query(t, "mlflow", "SELECT version_num FROM alembic_version")
	assertCounts(t, before)
	if v, _ := versions.Lookup("2.12.2"); head2 != v.Schema {
		t.Fatalf("MLflow 2.12.2 made schema %s; versions.Table says %s", head2, v.Schema)
	}

	env3 := taskEnv(pg, py3, "3.18.0", artifacts)
	stuck := killMigrationHalfWay(t, pg, env3, py3, ep)
	if !strings.Contains(stuck, "metrics") {
		t.Fatalf("the migration blocked on %q, not on the metrics table", stuck)
	}
	if got := pg.query(t, "mlflow", "SELECT version_num FROM alembic_version"); got != head2 {
		t.Fatalf("after the killed migration the schema is at %s, want 2.12.2's %s (rolled back)", got, head2)
	}
	if after := python(t, py2, script("dump.py"), dbURI); after != before {
		t.Fatalf("2.12.2 reads different data after the killed migration:\n%s", diffLines(before, after))
	}

	start := time.Now()
	mig := startProc(t, env3, py3, ep, "migrate")
	if err := mig.wait(t); err != nil {
		t.Fatalf("re-run migration: %v\n%s", err, mig.log())
	}
	t.Logf("migration 2.12.2 → 3.18.0 (9 runs, 2 models, 6 versions) took %s", time.Since(start).Round(time.Millisecond))
	head3 := pg.query(t, "mlflow", "SELECT version_num FROM alembic_version")
	if v, _ := versions.Lookup("3.18.0"); head3 != v.Schema {
		t.Fatalf("the migration left the schema at %s, want 3.18.0's %s (versions.Table):\n%s", head3, v.Schema, mig.log())
	}
	if strings.Contains(mig.log(), dbPassword) || strings.Contains(mig.log(), escape(dbPassword)) {
		t.Fatal("the migration task printed the database password")
	}

	port := freePort(t)
	srv := startProc(t, taskEnv(pg, py3, "3.18.0", artifacts, "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "WORKERS=1"), py3, ep)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	srv.waitHealthy(t, url+"/health")
	if after := python(t, py3, script("dump.py"), url); after != before {
		t.Fatalf("3.18.0 reads different data than 2.12.2 wrote:\n%s", diffLines(before, after))
	}
}

func escape(s string) string {
	r := strings.NewReplacer(":", "%3A", "/", "%2F", "@", "%40")
	return r.Replace(s)
}

// assertCounts checks the dump holds what fill.py wrote, so an empty dump
// on both sides cannot pass.
func assertCounts(t *testing.T, dump string) {
	t.Helper()
	for want, n := range map[string]int{`"run_id"`: 9 + 6, `"version": "`: 6, `"champion"`: 2 + 2, `"stage": "Production"`: 2} {
		if got := strings.Count(dump, want); got != n {
			t.Fatalf("the 2.12.2 dump has %d × %s, want %d:\n%s", got, want, n, dump)
		}
	}
}

func diffLines(a, b string) string {
	sa, sb := bufio.NewScanner(strings.NewReader(a)), bufio.NewScanner(strings.NewReader(b))
	var out []string
	for line := 1; ; line++ {
		okA, okB := sa.Scan(), sb.Scan()
		if !okA && !okB {
			break
		}
		if sa.Text() != sb.Text() {
			out = append(out, fmt.Sprintf("line %d: -%s +%s", line, sa.Text(), sb.Text()))
		}
		if len(out) > 20 {
			break
		}
	}
	return strings.Join(out, "\n")
}
