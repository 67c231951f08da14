package teardown

import (
	"slices"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// The services stack's Fargate services run in the server stack's
// cluster, subnets, target groups and security group, with its roles:
// CloudFormation cannot delete those while the services use them (a
// cluster with active services, a target group in use, a security group
// attached to task ENIs). So down deletes the services stack in a wave
// before the server stack's (and, as a known stack, holds up nothing
// else), and a deployment made before the split (no
// services stack) still deletes in the old order.
func TestServicesStackIsDeletedBeforeTheServerStack(t *testing.T) {
	wave := func(waves [][]string, id string) int {
		for i, w := range waves {
			if slices.Contains(w, id) {
				return i
			}
		}
		t.Fatalf("%s is in no wave of %v", id, waves)
		return -1
	}
	var found []Stack
	for _, id := range stacks.IDs {
		found = append(found, Stack{ID: id, Name: "ml-" + id})
	}
	d := Deployment("ml", found)
	for _, s := range d.Stacks {
		// A stack of an unknown ID depends on every known one, so the
		// api, studio and ui deletes would wait for it: known, it waits
		// only for nothing and blocks only the server stack.
		if s.ID == stacks.Services && !slices.Equal(s.DependsOn, []string{stacks.Server}) {
			t.Errorf("services stack depends on %v for deletion, want only the server stack", s.DependsOn)
		}
	}
	waves := DeleteOrder(d)
	if wave(waves, stacks.Services) >= wave(waves, stacks.Server) || wave(waves, stacks.Server) >= wave(waves, stacks.Bootstrap) {
		t.Fatalf("delete waves %v: services must go before server, server before bootstrap", waves)
	}
	old := slices.DeleteFunc(slices.Clone(found), func(s Stack) bool { return s.ID == stacks.Services })
	waves = DeleteOrder(Deployment("ml", old))
	if wave(waves, stacks.API) >= wave(waves, stacks.Server) || slices.ContainsFunc(waves, func(w []string) bool { return slices.Contains(w, stacks.Services) }) {
		t.Fatalf("pre-split deployment: delete waves %v", waves)
	}
}
