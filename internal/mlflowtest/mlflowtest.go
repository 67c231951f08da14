// Package mlflowtest runs the real MLflow for tests: it finds the venv
// .ci/setup.d/40-mlflow.sh built for a supported version from the images'
// lock file, and runs processes (an image entrypoint, `mlflow server`) in
// their own process group, their output collected, stopped by their id
// with a bounded wait when the test ends.
package mlflowtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/templates"
)

// Timeout bounds a wait for a process: to be healthy, or to end.
const Timeout = 180 * time.Second

// stopTimeout is how long a process group may take to end after SIGTERM.
const stopTimeout = 15 * time.Second

// lockPath is the version's lock file in templates (pkg/build's LockPath;
// not imported, since pkg/build's own tests use this package).
func lockPath(version string) string {
	return "docker/requirements/mlflow-" + version + ".txt"
}

// Venv is the venv .ci/setup.d/40-mlflow.sh built from version's lock:
// $MLFLOWCTL_MLFLOW_VENVS/<version>, default ~/.cache/mlflowctl/mlflow-venvs,
// whose .mlflowctl-lock marker names the lock file's hash (so a venv of a
// stale lock is not used). With CI=true a missing venv fails the test;
// otherwise it skips.
func Venv(t testing.TB, version string) string {
	t.Helper()
	root := os.Getenv("MLFLOWCTL_MLFLOW_VENVS")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".cache", "mlflowctl", "mlflow-venvs")
	}
	dir := filepath.Join(root, version)
	lock, err := templates.FS.ReadFile(lockPath(version))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	got, err := os.ReadFile(filepath.Join(dir, ".mlflowctl-lock"))
	if err != nil || strings.TrimSpace(string(got)) != hex.EncodeToString(sum[:]) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no venv built from %s at %s: .ci/setup.d/40-mlflow.sh builds it", lockPath(version), dir)
		}
		t.Skipf("no venv built from %s at %s (bash .ci/setup.d/40-mlflow.sh)", lockPath(version), dir)
	}
	return dir
}

// Python is the venv's interpreter.
func Python(t testing.TB, version string) string {
	t.Helper()
	return filepath.Join(Venv(t, version), "bin", "python")
}

// Env is a minimal environment for a process of venv: its bin first on
// PATH, no settings of the developer's shell.
func Env(venv string) []string {
	return []string{"PATH=" + filepath.Join(venv, "bin") + ":/usr/bin:/bin", "HOME=" + os.TempDir(), "LANG=C.UTF-8"}
}

// Proc is a process in its own process group, its output collected.
type Proc struct {
	Cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	err  error
}

// Start runs argv (argv[1], the script, gives the working directory) with
// env; see StartCmd.
func Start(t testing.TB, env []string, argv ...string) *Proc {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = filepath.Dir(argv[1])
	cmd.Env = env
	return StartCmd(t, cmd)
}

// StartCmd starts cmd in a process group of its own (killed with the test
// binary), collects its output, and stops it at the test's end.
func StartCmd(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p, p
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Stop)
	return p
}

// Write collects the process's output.
func (p *Proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Log is the output so far.
func (p *Proc) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Done is closed when the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Stop ends the process group politely (SIGTERM) and waits for the end.
func (p *Proc) Stop() { p.Signal(syscall.SIGTERM) }

// Signal sends sig to the process group by its id and waits for the end,
// sending SIGKILL after stopTimeout.
func (p *Proc) Signal(sig syscall.Signal) {
	pgid := -p.Cmd.Process.Pid
	_ = syscall.Kill(pgid, sig)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
}

// Kill ends the process group and every descendant (some left the group)
// with SIGKILL and waits for the end.
func (p *Proc) Kill() {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	for _, pid := range Tree(p.Cmd.Process.Pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	<-p.done
}

// Wait waits up to Timeout for the process to end and returns how it ended.
func (p *Proc) Wait(t testing.TB) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(Timeout):
		t.Fatalf("%s did not finish within %s:\n%s", p.Cmd.Path, Timeout, p.Log())
		return nil
	}
}

// WaitHealthy polls url until it answers 200; the test fails if the
// process ends first or Timeout passes.
func (p *Proc) WaitHealthy(t testing.TB, url string) {
	t.Helper()
	for deadline := time.Now().Add(Timeout); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		select {
		case <-p.done:
			t.Fatalf("exited before it was healthy:\n%s", p.Log())
		default:
		}
		if resp, err := http.Get(url); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("not healthy within %s:\n%s", Timeout, p.Log())
}

// ProcStat is the fields of /proc/<pid>/stat after the command name
// (state, ppid, …); nil if pid is gone.
func ProcStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	// pid (comm) state ppid ...: comm may hold spaces, so cut at ")".
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
}

// Children is pid's child processes.
func Children(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
		if f := ProcStat(n); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}

// Tree is pid's descendants (not pid).
func Tree(pid int) []int {
	var out []int
	for _, c := range Children(pid) {
		out = append(out, c)
		out = append(out, Tree(c)...)
	}
	return out
}

// KillTree sends SIGKILL to pid and every process descended from it.
func KillTree(pid int) {
	for _, p := range append([]int{pid}, Tree(pid)...) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}
