package cli

import (
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// The states status reports. A deployment is "deployed" only when every
// stack its configuration has is complete; a run of `up` that stopped
// after the bootstrap stack is "partial", not deployed.
const (
	stateDeployed    = "deployed"
	statePartial     = "partial"
	stateInProgress  = "in progress"
	stateDeleting    = "partly deleted"
	stateNotDeployed = "not deployed"
)

// deploymentState is the verdict on a deployment's stacks: its state, the
// stacks that are missing or failed, and the command that finishes it.
type deploymentState struct {
	State   string   `json:"state"`
	Missing []string `json:"missing"`
	Failed  []string `json:"failed"`
	Next    string   `json:"next,omitempty"`
}

// judge reads the stacks' statuses. Stacks the configuration leaves out
// (studio.enabled or ui.enabled false) are not missing.
func judge(cfg config.Config, st []deploy.StackStatus, up, down string) deploymentState {
	s := deploymentState{Missing: []string{}, Failed: []string{}}
	own, busy, deleting := 0, false, false
	for _, x := range st {
		switch {
		case !x.Exists || x.Foreign:
			if expected(cfg, x.Stack) {
				s.Missing = append(s.Missing, x.Name)
			}
			continue
		case x.Busy: // an operation runs (REVIEW_IN_PROGRESS is not one: an unexecuted create)
			busy = true
		case strings.HasPrefix(x.Status, "DELETE_"):
			deleting = true
			s.Failed = append(s.Failed, x.Name)
		case !isComplete(x.Status):
			s.Failed = append(s.Failed, x.Name)
		}
		own++
	}
	switch {
	case own == 0:
		s.State = stateNotDeployed
	case busy:
		s.State, s.Next = stateInProgress, "wait for the running operation, then run `mlflowctl status` again"
	case deleting:
		s.State, s.Next = stateDeleting, "`"+down+"` finishes the deletion (or `"+up+"` after it)"
	case len(s.Missing) == 0 && len(s.Failed) == 0:
		s.State = stateDeployed
	default:
		s.State, s.Next = statePartial, "`"+up+"` creates the missing stacks and retries the failed ones"
	}
	return s
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

// sameTarget is a command with the flags that chose this deployment, so
// the advice runs against the same one.
func sameTarget(g *globalOpts, command string) string {
	parts := []string{"mlflowctl", command}
	if g.flags != nil && g.flags.Changed("config") {
		parts = append(parts, "--config", g.configPath)
	}
	for _, f := range [][2]string{{"name", g.name}, {"region", g.region}, {"profile", g.profile}} {
		if f[1] != "" {
			parts = append(parts, "--"+f[0], f[1])
		}
	}
	return strings.Join(parts, " ")
}
