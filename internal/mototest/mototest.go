// Package mototest runs moto_server, the AWS emulator, for integration
// tests: one server per test binary on 127.0.0.1, reset before each test,
// stopped by its process id when the tests end.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { mototest.Main(m) }
//
// and in a test: srv := mototest.Start(t); srv.URL is the endpoint. Start
// points the AWS SDK at the server through the process's environment, so
// its tests cannot run in parallel. Isolated instead lends a test one of
// a small pool of servers for itself, and hands the endpoint and the
// credentials over as values (srv.URL, srv.Env()): such tests call
// t.Parallel().
package mototest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Region is the region tests use.
const Region = "us-east-1"

// Account is the account moto puts every request in.
const Account = "123456789012"

const (
	startTimeout = 60 * time.Second
	stopTimeout  = 5 * time.Second
)

// Server is a running moto_server.
type Server struct {
	URL string
	cmd *exec.Cmd
}

var (
	mu      sync.Mutex
	shared  *Server
	errInit error
)

// Main runs the package's tests and stops the server afterwards.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if shared != nil {
		shared.stop()
	}
	mu.Unlock()
	stopPool()
	os.Exit(code)
}

// Start returns the package's moto server, started on first use, with its
// state reset, and points the AWS SDK at it through the environment. With
// CI=true a missing moto_server fails the test; otherwise it skips.
func Start(t testing.TB) *Server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if shared == nil && errInit == nil {
		shared, errInit = launch()
	}
	if errInit != nil {
		unavailable(t, errInit)
	}
	if err := shared.Reset(); err != nil {
		t.Fatalf("reset moto: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_PROFILE", "")
	return shared
}

// unavailable fails the test under CI and skips it elsewhere.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("moto_server: %v (CI installs it with .ci/run)", err)
	}
	t.Skipf("moto_server not available: %v (pip install 'moto[server]')", err)
}

var portRe = regexp.MustCompile(`Running on http://127\.0\.0\.1:(\d+)`)

func launch() (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", "0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd}
	port, err := waitForPort(stderr)
	if err != nil {
		s.stop()
		return nil, err
	}
	s.URL = "http://127.0.0.1:" + port
	if err := s.waitReady(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// waitForPort reads moto's log until it prints the port it bound, then
// keeps draining the log so the server never blocks on a full pipe.
func waitForPort(r io.Reader) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sent := false
		for sc.Scan() {
			if m := portRe.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case port, ok := <-found:
		if !ok {
			return "", fmt.Errorf("moto_server exited before it printed its port")
		}
		return port, nil
	case <-time.After(startTimeout):
		return "", fmt.Errorf("moto_server printed no port within %s", startTimeout)
	}
}

func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/data.json", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("moto_server did not answer within %s: %w", startTimeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Reset clears every service's state.
func (s *Server) Reset() error {
	resp, err := http.Post(s.URL+"/moto-api/reset", "application/json", strings.NewReader("{}"))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset: HTTP %d", resp.StatusCode)
	}
	return nil
}

// stop ends the server's process group by id, politely first.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pgid := -s.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-done
	}
}
