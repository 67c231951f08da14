package mototest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"sync"
	"testing"
)

// PoolSize caps the servers Isolated starts per test binary (lazily: a
// server starts only when every started one is lent). Each moto_server
// is one Python process: measured on the 2-core machine at load 8, it
// answered 3.1 s after its start, 54 MB resident when idle and 90-230 MB
// after a CLI test run's services. Parallel tests beyond the cores only
// wait on the CPU, so three servers are enough to keep two cores busy
// while tests wait on each other's calls.
const PoolSize = 3

// pool lends servers to one test at a time.
var pool = struct {
	sync.Mutex
	all     []*Server
	free    chan *Server
	err     error
	started int
}{free: make(chan *Server, PoolSize)}

// Isolated lends t a moto_server no other test uses until t ends, with
// its state reset. The process's environment is left alone: pass
// srv.URL as the endpoint and srv.Env() as the variables. Tests wait
// for a server when all PoolSize are lent. With CI=true a missing
// moto_server fails the test; otherwise it skips.
func Isolated(t testing.TB) *Server {
	t.Helper()
	srv, err := take()
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(func() { pool.free <- srv })
	if err := srv.Reset(); err != nil {
		t.Fatalf("reset moto: %v", err)
	}
	return srv
}

// take returns a free server, starting one while fewer than PoolSize run.
func take() (*Server, error) {
	pool.Lock()
	if pool.err != nil {
		defer pool.Unlock()
		return nil, pool.err
	}
	select {
	case s := <-pool.free:
		pool.Unlock()
		return s, nil
	default:
	}
	if pool.started == PoolSize {
		pool.Unlock()
		return <-pool.free, nil
	}
	pool.started++
	pool.Unlock()
	s, err := launch()
	pool.Lock()
	defer pool.Unlock()
	if err != nil {
		pool.started--
		pool.err = err
		return nil, err
	}
	pool.all = append(pool.all, s)
	return s, nil
}

// stopPool stops every server the pool started, by process id.
func stopPool() {
	pool.Lock()
	defer pool.Unlock()
	for _, s := range pool.all {
		s.stop()
	}
	pool.all = nil
}

// Env is the environment a test hands the code under test in place of the
// process's: static credentials moto accepts, the region, no shared AWS
// files and no instance metadata service.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":         "testing",
		"AWS_SECRET_ACCESS_KEY":     "testing",
		"AWS_REGION":                Region,
		"AWS_EC2_METADATA_DISABLED": "true",
	}
}

// AWSConfig is an SDK configuration for the server that reads nothing of
// the process: static credentials, the region, the endpoint, one attempt.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 1,
	}
}
