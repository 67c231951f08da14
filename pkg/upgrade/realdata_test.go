package upgrade

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/internal/mlflowtest"
	"github.com/mlflowctl/mlflowctl/internal/pgtest"
	"github.com/mlflowctl/mlflowctl/pkg/versions"
	"github.com/mlflowctl/mlflowctl/templates"
)

// The real-data upgrade test: real PostgreSQL 15 on 127.0.0.1, the real
// MLflow 2.12.2 (the venv of .ci/setup.d/50-mlflow-2.12.2.sh, pinned as the
// 2.12.2 image is) and 3.18.0, each the venv .ci/setup.d/40-mlflow.sh
// builds from the image's lock file (internal/mlflowtest),
// and the server image's own entrypoint.py, run as the one-off migration
// task runs it (`entrypoint.py migrate`) and as the service runs it.

const realTimeout = 180 * time.Second

const dbPassword = "upgrade:test/p@ss" // URI characters: the entrypoint must encode them

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
func taskEnv(pg *pgtest.Server, py, version, artifacts string, extra ...string) []string {
	return append([]string{
		"PATH=" + filepath.Dir(py) + ":/usr/bin:/bin", "HOME=" + os.TempDir(), "LANG=C.UTF-8",
		fmt.Sprintf(`DB_SECRET={"username":"postgres","password":%q}`, dbPassword),
		"DB_HOST=127.0.0.1", "DB_PORT=" + strconv.Itoa(pg.Port), "DB_NAME=mlflow",
		"ARTIFACT_ROOT=" + artifacts, "MLFLOW_VERSION=" + version,
	}, extra...)
}

// killMigrationHalfWay starts `entrypoint.py migrate`, lets it run until it
// blocks on a lock this test holds on the metrics table (the 2.12.2 → 3.18.0
// chain creates an index on metrics late, after most migrations ran), then
// kills the task's processes with SIGKILL, as ECS stopping a task or a lost
// Fargate host would. It returns the statement the migration was stuck on.
func killMigrationHalfWay(t *testing.T, pg *pgtest.Server, env []string, py, ep string) string {
	t.Helper()
	locker := pg.Command(context.Background(), "psql", pg.PsqlArgs("mlflow")...)
	stdin, err := locker.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := locker.Start(); err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(stdin, "BEGIN; LOCK TABLE metrics IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n")
	waitFor(t, "the metrics lock", func() bool {
		return pg.Query(t, "mlflow", "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'metrics' AND l.mode = 'AccessExclusiveLock' AND l.granted") == "1"
	})
	mig := mlflowtest.Start(t, env, py, ep, "migrate")
	var stuck string
	waitFor(t, "the migration to block on the metrics lock", func() bool {
		stuck = pg.Query(t, "postgres", "SELECT query FROM pg_stat_activity WHERE datname = 'mlflow' AND wait_event_type = 'Lock'")
		return stuck != ""
	})
	// ECS stopping the task kills every process in it; the entrypoint's
	// supervisor runs migrate.py in a process group of its own, so kill
	// the whole tree, not just the entrypoint's group.
	mlflowtest.KillTree(mig.Cmd.Process.Pid)
	mig.Signal(syscall.SIGKILL)
	_, _ = io.WriteString(stdin, "ROLLBACK;\n")
	_ = stdin.Close()
	_ = locker.Wait()
	waitFor(t, "the killed migration's session to end", func() bool {
		return pg.Query(t, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = 'mlflow'") == "0"
	})
	return stuck
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
	py2, py3 := mlflowtest.Python(t, "2.12.2"), mlflowtest.Python(t, "3.18.0")
	pg := pgtest.Start(t)
	pg.Query(t, "postgres", fmt.Sprintf("ALTER USER postgres PASSWORD '%s'", dbPassword))
	pg.Query(t, "postgres", "CREATE DATABASE mlflow")
	artifacts := t.TempDir()
	dbURI := fmt.Sprintf("postgresql+psycopg2://postgres:%s@127.0.0.1:%d/mlflow", escape(dbPassword), pg.Port)
	ep := entrypoint(t)

	python(t, py2, script("fill.py"), dbURI, artifacts)
	before := python(t, py2, script("dump.py"), dbURI)
	head2 := pg.Query(t, "mlflow", "SELECT version_num FROM alembic_version")
	assertCounts(t, before)
	if v, _ := versions.Lookup("2.12.2"); head2 != v.Schema {
		t.Fatalf("MLflow 2.12.2 made schema %s; versions.Table says %s", head2, v.Schema)
	}

	env3 := taskEnv(pg, py3, "3.18.0", artifacts)
	stuck := killMigrationHalfWay(t, pg, env3, py3, ep)
	if !strings.Contains(stuck, "metrics") {
		t.Fatalf("the migration blocked on %q, not on the metrics table", stuck)
	}
	if got := pg.Query(t, "mlflow", "SELECT version_num FROM alembic_version"); got != head2 {
		t.Fatalf("after the killed migration the schema is at %s, want 2.12.2's %s (rolled back)", got, head2)
	}
	if after := python(t, py2, script("dump.py"), dbURI); after != before {
		t.Fatalf("2.12.2 reads different data after the killed migration:\n%s", diffLines(before, after))
	}

	start := time.Now()
	mig := mlflowtest.Start(t, env3, py3, ep, "migrate")
	if err := mig.Wait(t); err != nil {
		t.Fatalf("re-run migration: %v\n%s", err, mig.Log())
	}
	t.Logf("migration 2.12.2 → 3.18.0 (9 runs, 2 models, 6 versions) took %s", time.Since(start).Round(time.Millisecond))
	head3 := pg.Query(t, "mlflow", "SELECT version_num FROM alembic_version")
	if v, _ := versions.Lookup("3.18.0"); head3 != v.Schema {
		t.Fatalf("the migration left the schema at %s, want 3.18.0's %s (versions.Table):\n%s", head3, v.Schema, mig.Log())
	}
	if strings.Contains(mig.Log(), dbPassword) || strings.Contains(mig.Log(), escape(dbPassword)) {
		t.Fatal("the migration task printed the database password")
	}

	port := pgtest.FreePort(t)
	srv := mlflowtest.Start(t, taskEnv(pg, py3, "3.18.0", artifacts, "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "WORKERS=1"), py3, ep)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	srv.WaitHealthy(t, url+"/health")
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
