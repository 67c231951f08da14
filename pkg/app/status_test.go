package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// seedStacks puts the named stacks of deployment name in the fake in the
// given state, tagged as that deployment's own.
func seedStacks(f *cfnfake.Fake, name string, status types.StackStatus, ids ...string) {
	for _, id := range ids {
		f.Seed(name+"-"+id, "Resources: {}\n", nil, map[string]string{deploy.TagDeployment: name, deploy.TagStack: id}, status)
	}
}

func statusOf(t *testing.T, f *cfnfake.Fake, cfg config.Config) app.StatusReport {
	t.Helper()
	s := &app.Status{CFN: f, Config: cfg, Region: "eu-west-1", Up: "mlflowctl up --name " + cfg.Name, Down: "mlflowctl down --name " + cfg.Name}
	rep, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestStatusJudgesADeployment(t *testing.T) {
	t.Parallel()
	all := []string{stacks.Bootstrap, stacks.Server, stacks.API, stacks.Services, stacks.Studio, stacks.UI} // the graph's order
	cases := []struct {
		name    string
		seed    func(f *cfnfake.Fake)
		cfg     func(c *config.Config)
		state   string
		missing []string
		failed  []string
		next    string
	}{
		{name: "nothing", seed: func(*cfnfake.Fake) {}, state: app.StateNotDeployed,
			missing: prefixed("st", all...)},
		{name: "every stack complete", seed: func(f *cfnfake.Fake) { seedStacks(f, "st", types.StackStatusCreateComplete, all...) },
			state: app.StateDeployed},
		{name: "up stopped after bootstrap", seed: func(f *cfnfake.Fake) { seedStacks(f, "st", types.StackStatusCreateComplete, stacks.Bootstrap) },
			state: app.StatePartial, missing: prefixed("st", all[1:]...), next: "mlflowctl up --name st"},
		{name: "studio and ui left out by the configuration", seed: func(f *cfnfake.Fake) {
			seedStacks(f, "st", types.StackStatusUpdateComplete, stacks.Bootstrap, stacks.Server, stacks.Services, stacks.API)
		}, cfg: func(c *config.Config) { c.Studio.Enabled, c.UI.Enabled = false, false }, state: app.StateDeployed},
		{name: "a failed update", seed: func(f *cfnfake.Fake) {
			seedStacks(f, "st", types.StackStatusCreateComplete, all...)
			seedStacks(f, "st", types.StackStatusUpdateRollbackComplete, stacks.API)
		}, state: app.StatePartial, failed: []string{"st-api"}, next: "retries the failed ones"},
		{name: "a delete that failed", seed: func(f *cfnfake.Fake) {
			seedStacks(f, "st", types.StackStatusCreateComplete, stacks.Bootstrap)
			seedStacks(f, "st", types.StackStatusDeleteFailed, stacks.Server)
		}, state: app.StateDeleting, missing: prefixed("st", all[2:]...), failed: []string{"st-server"}, next: "mlflowctl down --name st"},
		{name: "an operation running", seed: func(f *cfnfake.Fake) {
			seedStacks(f, "st", types.StackStatusCreateComplete, all...)
			seedStacks(f, "st", types.StackStatusUpdateInProgress, stacks.Server)
		}, state: app.StateInProgress, next: "wait for the running operation"},
		{name: "a stack of the same name that is not ours", seed: func(f *cfnfake.Fake) {
			seedStacks(f, "st", types.StackStatusCreateComplete, all...)
			f.Seed("st-ui", "Resources: {}\n", nil, map[string]string{deploy.TagDeployment: "other"}, types.StackStatusCreateComplete)
		}, state: app.StatePartial, missing: []string{"st-ui"}, next: "mlflowctl up --name st"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := cfnfake.New()
			c.seed(f)
			cfg := config.Defaults()
			cfg.Name = "st"
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			rep := statusOf(t, f, cfg)
			if rep.State != c.state || rep.Deployed != (c.state == app.StateDeployed) || rep.Region != "eu-west-1" {
				t.Fatalf("state %q deployed %v region %q, want %q", rep.State, rep.Deployed, rep.Region, c.state)
			}
			if !slices.Equal(rep.Missing, orEmpty(c.missing)) || !slices.Equal(rep.Failed, orEmpty(c.failed)) {
				t.Fatalf("missing %v failed %v, want %v and %v", rep.Missing, rep.Failed, c.missing, c.failed)
			}
			if !strings.Contains(rep.Next, c.next) || (c.next == "" && rep.Next != "") {
				t.Fatalf("next %q, want it to say %q", rep.Next, c.next)
			}
		})
	}
}

func prefixed(name string, ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = name + "-" + id
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
