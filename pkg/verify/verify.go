// Package verify proves, with real requests in the user's account, that a
// deployment works and that its security model holds (`mlflowctl verify`,
// the last step of `up`): the UI site and its login link, each group's
// rights through the UI path (Amplify → API Gateway → Lambda authorizer →
// VPC link → MLflow), the IAM path signed with the caller's credentials,
// and the tracking server's database and artifact store. Everything it
// creates (temporary Cognito users, a run and its artifact) is removed,
// even when a check fails or the run is interrupted.
package verify

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// Hops a request crosses; a failing check names the first that broke.
const (
	HopUI         = "ui"
	HopCognito    = "cognito"
	HopAuthorizer = "authorizer"
	HopIAM        = "iam"
	HopServer     = "server"
	HopArtifacts  = "artifact store"
	HopCleanup    = "cleanup"
)

// Status of one check.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is one check with its timing.
type Result struct {
	Hop     string  `json:"hop"`
	Check   string  `json:"check"`
	Status  Status  `json:"status"`
	Seconds float64 `json:"seconds"`
	Detail  string  `json:"detail,omitempty"`
	// LookAt says where to look when the check failed.
	LookAt string `json:"lookAt,omitempty"`
}

// Report is every check in order.
type Report struct {
	Deployment string   `json:"deployment"`
	Results    []Result `json:"results"`
}

// Failed is the first failed check, or nil.
func (r Report) Failed() *Result {
	for i := range r.Results {
		if r.Results[i].Status == Fail {
			return &r.Results[i]
		}
	}
	return nil
}

// Target is the deployment under test, from its stack outputs.
type Target struct {
	Deployment    string
	UIURL         string // https://main.<app>.amplifyapp.com/
	APIURL        string // https://<id>.execute-api.<region>.amazonaws.com/prod/
	CognitoDomain string // https://<prefix>.auth.<region>.amazoncognito.com
	UserPoolID    string
	ClientID      string
	Authorizer    string // the authorizer function's name, for hints
	Groups        []config.Group
	// Guards are the api stack's methods (stacks.MethodAuths), which
	// authz.Check needs to know which enforcer is on a path.
	Guards []authz.Guard
}

// TargetFrom reads the target from the api stack's outputs.
func TargetFrom(cfg config.Config, api map[string]string) (Target, error) {
	t := Target{
		Deployment: cfg.Name, UIURL: api[stacks.OutUIURL], APIURL: api[stacks.OutRestAPIURL],
		CognitoDomain: api[stacks.OutCognitoDomain], UserPoolID: api[stacks.OutUserPoolID],
		ClientID: api[stacks.OutUserPoolClientID], Authorizer: api[stacks.OutAuthorizerFunction], Groups: cfg.Groups,
	}
	for _, m := range stacks.MethodAuths(cfg) {
		t.Guards = append(t.Guards, authz.Guard{Resource: m.Resource, Authorization: m.Authorization})
	}
	for k, v := range map[string]string{stacks.OutRestAPIURL: t.APIURL, stacks.OutUserPoolID: t.UserPoolID, stacks.OutUserPoolClientID: t.ClientID} {
		if v == "" {
			return t, fmt.Errorf("the api stack of %q has no output %s: run mlflowctl up first", cfg.Name, k)
		}
	}
	return t, nil
}

// Deps are the clients verify uses.
type Deps struct {
	Cognito CognitoAPI
	// S3 writes and removes the test artifact when the server's artifact
	// root is s3:// (SDK clients write there directly).
	S3   S3API
	HTTP *http.Client
	// Credentials and Region sign the IAM path's requests (SigV4).
	Credentials aws.CredentialsProvider
	Region      string
	// Progress, when set, is told each check as it finishes.
	Progress func(Result)
}

// cleanupTimeout bounds the clean-up that runs after an interrupt.
const cleanupTimeout = 60 * time.Second

// Run makes every check against t. Clean-up runs on a context that an
// interrupt does not cancel.
func Run(ctx context.Context, t Target, d Deps) (rep Report) {
	r := &runner{t: t, d: d, rep: Report{Deployment: t.Deployment}, tokens: map[string]string{}}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		r.cleanup(cctx)
		rep = r.rep
	}()
	r.checks(ctx)
	return r.rep
}

// checks runs the checks in order; an interrupt stops them between two
// (the clean-up still runs).
func (r *runner) checks(ctx context.Context) {
	steps := []func(context.Context){r.checkUI, r.checkUsers, r.checkNoToken}
	for _, g := range r.t.Groups {
		steps = append(steps, func(ctx context.Context) { r.checkGroup(ctx, g) })
	}
	steps = append(steps, r.checkIAM, r.checkRun)
	for _, s := range steps {
		if ctx.Err() != nil {
			r.add(Result{Hop: HopCleanup, Check: "interrupted", Status: Fail, Detail: ctx.Err().Error(), LookAt: "nothing: the clean-up below ran"})
			return
		}
		if r.stop {
			return
		}
		s(ctx)
	}
}

func (r *runner) checkUsers(ctx context.Context) {
	r.stop = !r.createUsers(ctx)
}

type runner struct {
	t      Target
	d      Deps
	rep    Report
	tokens map[string]string // group → access token
	users  []tempUser
	undo   []undoStep
	// stop ends the checks early (no user could sign in).
	stop bool
}

type undoStep struct {
	what string
	fn   func(context.Context) error
}

// step times fn and records its result.
func (r *runner) step(hop, check string, fn func() (string, error)) bool {
	start := time.Now()
	detail, err := fn()
	res := Result{Hop: hop, Check: check, Status: Pass, Detail: detail, Seconds: time.Since(start).Round(time.Millisecond).Seconds()}
	if err != nil {
		res.Status, res.Detail = Fail, err.Error()
		var he *hopError
		if asHop(err, &he) {
			res.Hop = he.hop
		}
		res.LookAt = r.lookAt(res.Hop)
	}
	r.add(res)
	return err == nil
}

func (r *runner) skip(hop, check, why string) {
	r.add(Result{Hop: hop, Check: check, Status: Skip, Detail: why})
}

func (r *runner) add(res Result) {
	r.rep.Results = append(r.rep.Results, res)
	if r.d.Progress != nil {
		r.d.Progress(res)
	}
}

// lookAt says where the cause of a failure at a hop shows.
func (r *runner) lookAt(hop string) string {
	switch hop {
	case HopUI:
		return "the Amplify app's last deployment and rewrites (mlflowctl ui deploy; Amplify console → Hosting → Rewrites and redirects)"
	case HopCognito:
		return "the user pool " + r.t.UserPoolID + " and its app client's auth flows (ALLOW_ADMIN_USER_PASSWORD_AUTH)"
	case HopAuthorizer:
		return "the authorizer's log group /aws/lambda/" + orDefault(r.t.Authorizer, "<deployment>-api-AuthorizerFunction-…") + " (one JSON line per decision)"
	case HopIAM:
		return "the caller's execute-api:Invoke rights on the stage and the API's AWS_IAM methods"
	case HopServer:
		return "the target group's health (aws elbv2 describe-target-health) and the task's last log lines (mlflowctl logs)"
	case HopArtifacts:
		return "the artifact bucket, the server task role's S3 rights and the task's last log lines (mlflowctl logs)"
	}
	return "the temporary users (mlflowctl users list) and runs named mlflowctl-verify-*"
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// hopError moves the blame for a failure to another hop (a 5xx behind
// the authorizer is the server's).
type hopError struct {
	hop string
	err error
}

func (e *hopError) Error() string { return e.err.Error() }
func (e *hopError) Unwrap() error { return e.err }

func atHop(hop string, err error) error {
	if err == nil {
		return nil
	}
	return &hopError{hop: hop, err: err}
}
