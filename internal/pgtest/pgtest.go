// Package pgtest runs a real PostgreSQL server for tests: initdb in a
// scratch directory, the postmaster on 127.0.0.1 and a Unix socket in that
// directory, every login logged (log_connections), stopped by its process
// id with a bounded wait when the test ends.
//
// The server comes from /usr/lib/postgresql/<major>/bin
// (.ci/setup.d/50-mlflow-2.12.2.sh installs PostgreSQL 15). With CI=true a
// missing PostgreSQL fails the test; otherwise it skips.
package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Timeout bounds each PostgreSQL tool run (initdb, pg_ctl, psql).
const Timeout = 180 * time.Second

// stopTimeout is how long a fast shutdown may take before SIGKILL.
const stopTimeout = 15 * time.Second

// Server is a running PostgreSQL. Dir holds the data directory, the log
// and the Unix socket; Port is its TCP port on 127.0.0.1.
type Server struct {
	Dir    string
	Port   int
	bin    string
	asUser []string
}

// Start runs a new PostgreSQL server for t, with the superuser postgres
// (trust on the socket, scram-sha-256 over TCP).
func Start(t testing.TB) *Server {
	t.Helper()
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL is not installed: .ci/setup.d/50-mlflow-2.12.2.sh installs it")
		}
		t.Skip("PostgreSQL is not installed")
	}
	pg := &Server{bin: filepath.Dir(matches[0]), Port: FreePort(t)}
	dir, err := os.MkdirTemp("", "mlflowctl-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	pg.Dir = dir
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 { // initdb refuses to run as root
		pg.asUser = postgresUser(t, dir)
	}
	pg.Run(t, "initdb", "-D", filepath.Join(dir, "data"), "--auth-local=trust", "--auth-host=scram-sha-256", "-U", "postgres")
	pg.Run(t, "pg_ctl", "-D", filepath.Join(dir, "data"), "-l", filepath.Join(dir, "log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-k %s -h 127.0.0.1 -p %d -c log_connections=on", dir, pg.Port), "start")
	t.Cleanup(func() { pg.Stop(t) })
	return pg
}

// postgresUser hands dir to the postgres user and returns the prefix that
// runs a tool as that user.
func postgresUser(t testing.TB, dir string) []string {
	t.Helper()
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Skip("running as root and there is no postgres user")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return []string{"runuser", "-u", "postgres", "--"}
}

// FreePort is a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// Command is one of the server's tools (psql, pg_ctl, …) as a command,
// run as the postgres user where the test runs as root. It runs in the
// server's folder: the test's own working directory may be one the
// postgres user cannot enter (a checkout under `mktemp -d`, mode 0700),
// and psql then prints "could not change directory" into its output.
func (pg *Server) Command(ctx context.Context, tool string, args ...string) *exec.Cmd {
	argv := append(append([]string{}, pg.asUser...), append([]string{filepath.Join(pg.bin, tool)}, args...)...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = pg.Dir
	return cmd
}

// Run runs a tool to its end within Timeout and returns its output.
func (pg *Server) Run(t testing.TB, tool string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := pg.Command(ctx, tool, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr // warnings stay out of a query's result
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", tool, err, out, stderr.String())
	}
	return string(out)
}

// PsqlArgs are psql's arguments to reach database db as postgres over the
// socket, stopping at the first error, unaligned tuples only.
func (pg *Server) PsqlArgs(db string) []string {
	return []string{"-h", pg.Dir, "-p", strconv.Itoa(pg.Port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-q", "-At"}
}

// SQL runs one statement in the postgres database.
func (pg *Server) SQL(t testing.TB, stmt string) {
	t.Helper()
	pg.Query(t, "postgres", stmt)
}

// Query runs one statement in db and returns its output, trimmed.
func (pg *Server) Query(t testing.TB, db, stmt string) string {
	t.Helper()
	return strings.TrimSpace(pg.Run(t, "psql", append(pg.PsqlArgs(db), "-c", stmt)...))
}

// Logins counts the logins of role in the server's log so far.
func (pg *Server) Logins(t testing.TB, role string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pg.Dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("connection authorized: user="+role+" "))
}

// Stop ends the postmaster by its process id (fast shutdown), SIGKILL
// after stopTimeout.
func (pg *Server) Stop(t testing.TB) {
	b, err := os.ReadFile(filepath.Join(pg.Dir, "data", "postmaster.pid"))
	if err != nil {
		return
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if pid <= 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGINT)
	for deadline := time.Now().Add(stopTimeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	t.Logf("postgres %d killed after a slow shutdown", pid)
}
