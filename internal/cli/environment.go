package cli

import (
	"context"
	"io"
	"net/http"

	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/login"
	"github.com/mlflowctl/mlflowctl/pkg/logs"
	"github.com/mlflowctl/mlflowctl/pkg/preflight"
	"github.com/mlflowctl/mlflowctl/pkg/teardown"
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
