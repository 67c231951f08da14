package deploy

import "testing"

// TestStackPlanStringWording (issue 22 item 13, walk-through F21): the plan
// line said "(1 changes)" and "none tuic-bootstrap" where the live view
// says "no changes".
func TestStackPlanStringWording(t *testing.T) {
	one := []ResourceChange{{Action: "Modify", LogicalID: "Service"}}
	two := []ResourceChange{one[0], {Action: "Add", LogicalID: "Logs"}}
	for _, c := range []struct {
		plan StackPlan
		want string
	}{
		{StackPlan{Name: "tuic-bootstrap", Action: ActionNone}, "tuic-bootstrap: no changes"},
		{StackPlan{Name: "tuic-server", Action: ActionUpdate, Changes: one}, "update tuic-server (1 change)"},
		{StackPlan{Name: "tuic-server", Action: ActionUpdate, Changes: two}, "update tuic-server (2 changes)"},
		{StackPlan{Name: "tuic-api", Action: ActionCreate}, "create tuic-api"},
		{StackPlan{Name: "tuic-api", Action: ActionBusy, Note: "another operation is running"}, "tuic-api: busy"},
	} {
		if got := c.plan.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.plan, got, c.want)
		}
	}
}
