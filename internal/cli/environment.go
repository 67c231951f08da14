package cli

import (
	"cmp"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/awslookup"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/login"
	"github.com/mlflowctl/mlflowctl/pkg/logs"
	"github.com/mlflowctl/mlflowctl/pkg/preflight"
	"github.com/mlflowctl/mlflowctl/pkg/teardown"
	"github.com/mlflowctl/mlflowctl/pkg/uihost"
	"github.com/mlflowctl/mlflowctl/pkg/upgrade"
)

// environment is what commands take from outside besides flags and
// streams. Execute passes the zero value: the real AWS clients and the
// process's signals. Tests pass stand-ins to execute, so no test swaps a
// package variable and the CLI tests run in parallel. A command copies
// what it uses into its opts when it is built.
type environment struct {
	// aws stands in for the AWS clients up and status build from the
	// loaded configuration.
	aws func() awsClients
	// upSteps stands in for the work up runs as steps besides the stacks
	// (image builds, API Gateway's role, the UI publish, verify, and the
	// preflight checks).
	upSteps func() app.UpSteps
	// interrupts stands in for deploy.Interrupts (signal handling cannot
	// run inside a synctest bubble).
	interrupts func(ctx context.Context, w io.Writer) (context.Context, <-chan struct{}, func())
	// preflight stands in for the clients of doctor's checks.
	preflight func() preflight.Clients
	// roleWait replaces how long doctor and up wait for a new
	// service-linked role to show.
	roleWait *preflight.RoleWait
	// The login seams: the browser, the loopback ports, the session
	// directory and the HTTP client that reaches Cognito.
	browser    func(url string) error
	loginPorts []int
	loginStore *login.Store
	loginHTTP  *http.Client
	// redeploy stands in for rollback's stack update (moto cannot create
	// AWS::RDS::DBCluster from a template).
	redeploy upgrade.Redeploy
	// logsFollow adjusts logs --follow's poller (its clock and waits).
	logsFollow func(f *logs.Follower)
	// newTeardown builds down's teardown (tests: over fakes).
	newTeardown func(ctx context.Context, c *awsx.Clients, name string, o teardown.Options) *teardown.Teardown
	// vars stands in for the process's environment variables (AWS_*,
	// MLFLOWCTL_*, NO_COLOR, SHELL, XDG_CACHE_HOME...): nil reads the
	// process's. The AWS SDK gets them as explicit load options
	// (awsx.Env), so no test needs t.Setenv.
	vars map[string]string
	// dir stands in for the working directory, where a relative
	// --config is read and written ("": the process's).
	dir string
}

// getenv is os.Getenv over the environment's variables.
func (e environment) getenv(name string) string {
	v, _ := e.lookupEnv(name)
	return v
}

// lookupEnv is os.LookupEnv over the environment's variables.
func (e environment) lookupEnv(name string) (string, bool) {
	if e.vars == nil {
		return os.LookupEnv(name)
	}
	v, ok := e.vars[name]
	return v, ok
}

// path is p as the command reads or writes it: relative to dir.
func (e environment) path(p string) string {
	if e.dir == "" || p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.dir, p)
}

// awsFiles are the AWS config files the wizard lists profiles from: the
// SDK's defaults, or with set vars the ones they name (else none).
func (e environment) awsFiles() awslookup.Files {
	if e.vars == nil {
		return awslookup.DefaultFiles()
	}
	return awslookup.Files{Config: cmp.Or(e.vars["AWS_CONFIG_FILE"], os.DevNull),
		Credentials: cmp.Or(e.vars["AWS_SHARED_CREDENTIALS_FILE"], os.DevNull)}
}

// withCaches puts the clone and wheel caches under XDG_CACHE_HOME from
// the environment's variables, where os.UserCacheDir would with the
// process's (nil vars or no XDG_CACHE_HOME: the packages' defaults).
func (e environment) withCaches(o uihost.RunOptions) uihost.RunOptions {
	if base := e.cacheBase(); base != "" {
		o.CacheDir = filepath.Join(base, "mlflowctl", "git")
		o.WheelCacheDir = e.wheelCacheDir()
	}
	return o
}

// wheelCacheDir is where mlflow wheels are cached ("": uihost's default).
func (e environment) wheelCacheDir() string {
	if base := e.cacheBase(); base != "" {
		return filepath.Join(base, "mlflowctl", "wheels")
	}
	return ""
}

// cacheBase is XDG_CACHE_HOME from set variables ("": the process's).
func (e environment) cacheBase() string {
	if e.vars == nil {
		return ""
	}
	return e.vars["XDG_CACHE_HOME"]
}

func (e environment) interruptsFunc() func(context.Context, io.Writer) (context.Context, <-chan struct{}, func()) {
	if e.interrupts != nil {
		return e.interrupts
	}
	return deploy.Interrupts
}

func (e environment) roleWaitOrDefault() preflight.RoleWait {
	if e.roleWait != nil {
		return *e.roleWait
	}
	return preflight.DefaultRoleWait
}

func (e environment) teardownFunc() func(context.Context, *awsx.Clients, string, teardown.Options) *teardown.Teardown {
	if e.newTeardown != nil {
		return e.newTeardown
	}
	return func(_ context.Context, c *awsx.Clients, name string, o teardown.Options) *teardown.Teardown {
		return teardown.New(c, name, o)
	}
}

func (e environment) openBrowser(url string) error {
	if e.browser != nil {
		return e.browser(url)
	}
	return systemBrowser(url)
}

func (e environment) ports() []int {
	if e.loginPorts != nil {
		return e.loginPorts
	}
	return login.CallbackPorts
}
