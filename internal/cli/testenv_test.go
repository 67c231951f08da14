package cli

import (
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/login"
	"github.com/mlflowctl/mlflowctl/pkg/login/keychaintest"
)

// A CLI test runs in parallel with the others, so it changes nothing of
// the process: its working directory and environment variables live in
// a testState, handed to the command in its environment (inTest). A
// subtest starts from its parent's state.
type testState struct {
	mu   sync.Mutex
	dir  string
	vars map[string]string
}

// states holds each running test's state by test name.
var states sync.Map

func stateOf(t *testing.T) *testState {
	t.Helper()
	if s, ok := states.Load(t.Name()); ok {
		return s.(*testState)
	}
	s := &testState{vars: map[string]string{}}
	// The parent is the longest running test whose name, and a "/",
	// start this one's (a subtest's own name may hold a "/").
	for name := t.Name(); strings.Contains(name, "/"); {
		name = name[:strings.LastIndex(name, "/")]
		if p, ok := states.Load(name); ok {
			parent := p.(*testState)
			parent.mu.Lock()
			s.dir, s.vars = parent.dir, maps.Clone(parent.vars)
			parent.mu.Unlock()
			break
		}
	}
	if s.dir == "" {
		s.dir = t.TempDir()
	}
	if actual, loaded := states.LoadOrStore(t.Name(), s); loaded {
		return actual.(*testState)
	}
	t.Cleanup(func() { states.Delete(t.Name()) })
	return s
}

// newDir gives the test a new, empty working directory (what
// t.Chdir(t.TempDir()) did) and returns it.
func newDir(t *testing.T) string {
	t.Helper()
	s := stateOf(t)
	dir := t.TempDir()
	s.mu.Lock()
	s.dir = dir
	s.mu.Unlock()
	return dir
}

// inDir is name in the test's working directory.
func inDir(t *testing.T, name string) string {
	t.Helper()
	s := stateOf(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	return filepath.Join(s.dir, name)
}

// setVar sets an environment variable for the test's commands only.
func setVar(t *testing.T, name, value string) {
	t.Helper()
	s := stateOf(t)
	s.mu.Lock()
	s.vars[name] = value
	s.mu.Unlock()
}

// noAWSEnv drops every variable the test set: its commands see no AWS
// settings at all (the SDK gets no shared files and no metadata service).
func noAWSEnv(t *testing.T) {
	t.Helper()
	s := stateOf(t)
	s.mu.Lock()
	clear(s.vars)
	s.mu.Unlock()
}

// startMoto lends the test a moto_server of its own and puts its
// credentials and region into the test's variables.
func startMoto(t *testing.T) *mototest.Server {
	t.Helper()
	srv := mototest.Isolated(t)
	for k, v := range srv.Env() {
		setVar(t, k, v)
	}
	return srv
}

// inTest fills env's working directory and variables from the test's
// state where the test left them unset.
func inTest(t *testing.T, env environment) environment {
	t.Helper()
	s := stateOf(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	if env.dir == "" {
		env.dir = s.dir
	}
	if env.vars == nil {
		env.vars = maps.Clone(s.vars)
		env.vars["AWS_EC2_METADATA_DISABLED"] = "true"
	}
	if env.vars["XDG_CACHE_HOME"] == "" {
		// Never the user's cache: a fake wheel written to
		// ~/.cache/mlflowctl/wheels replaced the real one the browser test
		// reads (seen while this conversion was under way).
		env.vars["XDG_CACHE_HOME"] = t.TempDir()
	}
	if env.loginStore == nil {
		// Never the user's keychain or session files either.
		env.loginStore = &login.Store{Dir: t.TempDir(), Keychain: keychaintest.New()}
	}
	return env
}
