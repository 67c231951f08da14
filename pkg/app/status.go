package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// The states status reports. A deployment is "deployed" only when every
// stack its configuration has is complete; a run of `up` that stopped
// after the bootstrap stack is "partial", not deployed.
const (
	StateDeployed    = "deployed"
	StatePartial     = "partial"
	StateInProgress  = "in progress"
	StateDeleting    = "partly deleted"
	StateNotDeployed = "not deployed"
)

// Status is one `mlflowctl status`: it reads the deployment's stacks and
// judges them. It only reads.
type Status struct {
	CFN    deploy.CloudFormationAPI
	Config config.Config
	Region string // the region CFN calls, for the report
	// Up and Down are the commands, with the flags that chose this
	// deployment, that the verdict recommends.
	Up, Down string
}

// StatusReport is what status found (its -o json document).
type StatusReport struct {
	Deployment string `json:"deployment"`
	Region     string `json:"region"`
	// Deployed is true only when every stack is there and complete;
	// State, Missing, Failed and Next say what a partial one lacks.
	Deployed bool `json:"deployed"`
	Verdict
	Stacks    []deploy.StackStatus `json:"stacks"`
	Endpoints stacks.Endpoints     `json:"endpoints"`
}

// Verdict is the judgement on a deployment's stacks: its state, the
// stacks that are missing or failed, and the command that finishes it.
type Verdict struct {
	State   string   `json:"state"`
	Missing []string `json:"missing"`
	Failed  []string `json:"failed"`
	Next    string   `json:"next,omitempty"`
}

// Run reports the deployment:
//
//  1. Describe each stack the deployment can have (one DescribeStacks
//     per stack; absent ones are reported, not an error).
//  2. Judge them against the configuration (Judge).
//  3. Read the endpoints from the outputs of the stacks that are this
//     deployment's own (a stack of the same name not tagged as ours is
//     reported, and its outputs ignored).
func (s *Status) Run(ctx context.Context) (StatusReport, error) {
	d := stacks.Skeleton(s.Config.Name)
	st, err := deploy.New(s.CFN, deploy.Options{}).Status(ctx, d)
	if err != nil {
		return StatusReport{}, fmt.Errorf("read the stacks of %q in %s: %w", d.Name, s.Region, err)
	}
	rep := StatusReport{Deployment: d.Name, Region: s.Region, Stacks: st, Verdict: Judge(s.Config, st, s.Up, s.Down)}
	rep.Deployed = rep.State == StateDeployed
	outs := deploy.Outputs{}
	for _, x := range st {
		if x.Exists && !x.Foreign {
			outs[x.Stack] = x.Outputs
		}
	}
	rep.Endpoints = stacks.EndpointsFrom(outs)
	return rep, nil
}

// Judge reads the stacks' statuses. Stacks the configuration leaves out
// (studio.enabled or ui.enabled false) are not missing. up and down are
// the commands the advice names.
func Judge(cfg config.Config, st []deploy.StackStatus, up, down string) Verdict {
	v := Verdict{Missing: []string{}, Failed: []string{}}
	own, busy, deleting := 0, false, false
	for _, x := range st {
		switch {
		case !x.Exists || x.Foreign:
			if expected(cfg, x.Stack) {
				v.Missing = append(v.Missing, x.Name)
			}
			continue
		case x.Busy: // an operation runs (REVIEW_IN_PROGRESS is not one: an unexecuted create)
			busy = true
		case strings.HasPrefix(x.Status, "DELETE_"):
			deleting = true
			v.Failed = append(v.Failed, x.Name)
		case !IsComplete(x.Status):
			v.Failed = append(v.Failed, x.Name)
		}
		own++
	}
	switch {
	case own == 0:
		v.State = StateNotDeployed
	case busy:
		v.State, v.Next = StateInProgress, "wait for the running operation, then run `mlflowctl status` again"
	case deleting:
		v.State, v.Next = StateDeleting, "`"+down+"` finishes the deletion (or `"+up+"` after it)"
	case len(v.Missing) == 0 && len(v.Failed) == 0:
		v.State = StateDeployed
	default:
		v.State, v.Next = StatePartial, "`"+up+"` creates the missing stacks and retries the failed ones"
	}
	return v
}

// IsComplete tells whether a stack status is a finished create or update.
func IsComplete(status string) bool {
	return status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE"
}

// expected tells whether the configuration deploys the stack.
func expected(cfg config.Config, id string) bool {
	switch id {
	case stacks.Studio:
		return cfg.Studio.Enabled
	case stacks.UI:
		return cfg.UI.Enabled
	}
	return true
}
