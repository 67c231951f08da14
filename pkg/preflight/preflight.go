// Package preflight checks an AWS account and a configuration before a
// deployment changes anything (`mlflowctl doctor`, the first step of `up`):
// every check that would make `up` fail half-way is made here first, with
// read-only calls, and reported with its fix.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// Status is a check's outcome.
type Status string

const (
	// OK: nothing to do.
	OK Status = "ok"
	// Fail: up would fail; it stops before any change.
	Fail Status = "fail"
	// Warn: could not be checked, or may need attention; up goes on.
	Warn Status = "warn"
	// Fixable: missing, and up creates it before the stacks.
	Fixable Status = "fixable"
	// Skipped: not checked because an earlier check failed.
	Skipped Status = "skipped"
)

// Result is one checked item.
type Result struct {
	Check   string  `json:"check"`
	Status  Status  `json:"status"`
	Detail  string  `json:"detail"`
	Fix     string  `json:"fix,omitempty"`
	Seconds float64 `json:"seconds"`
	// ServiceLinkedRole is the service (ecs.amazonaws.com) whose role is
	// missing, when Status is Fixable.
	ServiceLinkedRole string `json:"serviceLinkedRole,omitempty"`
}

// Report is every result, in a fixed order.
type Report struct {
	Account string   `json:"account"`
	Region  string   `json:"region"`
	Results []Result `json:"results"`
}

// Failed reports whether any check failed.
func (r Report) Failed() bool {
	for _, x := range r.Results {
		if x.Status == Fail {
			return true
		}
	}
	return false
}

// MissingRoles are the services whose service-linked roles up creates.
func (r Report) MissingRoles() []string {
	var out []string
	for _, x := range r.Results {
		if x.Status == Fixable && x.ServiceLinkedRole != "" {
			out = append(out, x.ServiceLinkedRole)
		}
	}
	return out
}

// env is what every check reads.
type env struct {
	cfg     config.Config
	c       Clients
	account string
	region  string
	// deployed stacks of this deployment (absent ones are missing).
	deployed map[string]stacks.Deployed
}

type check struct {
	name string
	run  func(ctx context.Context, e *env) []Result
}

// checkTimeout bounds each check: doctor runs in seconds, or says which
// call hung.
const checkTimeout = 30 * time.Second

// Run makes every check for cfg; it changes nothing in the account.
func Run(ctx context.Context, cfg config.Config, c Clients) Report {
	start := time.Now()
	e := &env{cfg: cfg, c: c, region: c.Region, deployed: map[string]stacks.Deployed{}}
	cred := checkCredentials(ctx, e)
	cred.Seconds = since(start)
	rep := Report{Region: e.region, Results: []Result{cred}}
	checks := allChecks()
	if cred.Status == Fail {
		for _, ch := range checks {
			rep.Results = append(rep.Results, Result{Check: ch.name, Status: Skipped, Detail: "needs working credentials"})
		}
		return rep
	}
	rep.Account = e.account
	e.readStacks(ctx)
	out := make([][]Result, len(checks))
	var wg sync.WaitGroup
	for i, ch := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			t := time.Now()
			res := ch.run(cctx, e)
			for j := range res {
				res[j].Seconds = since(t)
			}
			out[i] = res
		}()
	}
	wg.Wait()
	for _, res := range out {
		rep.Results = append(rep.Results, res...)
	}
	return rep
}

func since(t time.Time) float64 {
	return float64(time.Since(t).Round(time.Millisecond)) / float64(time.Second)
}

func allChecks() []check {
	return []check{
		{"service-linked roles", checkServiceLinkedRoles},
		{"quotas", checkQuotas},
		{"aurora engine", checkAurora},
		{"bucket names", checkBuckets},
		{"cognito domain", checkCognitoDomain},
		{"studio domain", checkStudio},
		{"bedrock models", checkBedrock},
		{"codebuild", checkCodeBuild},
	}
}

// readStacks notes which of the deployment's stacks exist: names they
// hold are this deployment's, and a deployed server consumes no new quota.
func (e *env) readStacks(ctx context.Context) {
	if e.c.Stacks == nil {
		return
	}
	for _, id := range []string{stacks.Bootstrap, stacks.Server, stacks.API, stacks.Studio} {
		d, found, err := stacks.Read(ctx, e.c.Stacks, e.cfg.Name, id)
		if err == nil && found {
			e.deployed[id] = d
		}
	}
}

func (e *env) output(stack, key string) string {
	return e.deployed[stack].Outputs[key]
}

// couldNotCheck turns an error into a warning that names the call and,
// for a refused call, the permission.
func couldNotCheck(name, action string, err error) Result {
	detail := fmt.Sprintf("could not check: %s: %v", action, err)
	fix := ""
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException" || ae.ErrorCode() == "UnauthorizedOperation") {
		detail = fmt.Sprintf("could not check: %s was refused (%s)", action, ae.ErrorCode())
		fix = "allow " + action + " to the caller, or check by hand"
	}
	return Result{Check: name, Status: Warn, Detail: detail, Fix: fix}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
