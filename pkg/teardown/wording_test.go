package teardown

import (
	"strings"
	"testing"
)

// TestLeftoversCountInWords (issue 22 item 13): "1 resource(s) ... are
// still there" reads "1 resource of the deployment is still there".
func TestLeftoversCountInWords(t *testing.T) {
	one := (&LeftoversError{Leftovers: []Leftover{{}}}).Error()
	if !strings.HasPrefix(one, "1 resource of the deployment is still there") {
		t.Errorf("one leftover: %q", one)
	}
	two := (&LeftoversError{Leftovers: []Leftover{{}, {}}}).Error()
	if !strings.HasPrefix(two, "2 resources of the deployment are still there") {
		t.Errorf("two leftovers: %q", two)
	}
	if got := KeptNote([]Kept{{}}); got != " but 1 resource kept" {
		t.Errorf("kept note: %q", got)
	}
}

// TestPlanCountsInWords (issue 22 item 13, walk-through F21): down's plan
// said "1 stack(s)" and "1 bucket(s)", and promised a final DB snapshot
// for a deployment with no database.
func TestPlanCountsInWords(t *testing.T) {
	var b strings.Builder
	p := Plan{Deployment: "demo", Stacks: []Stack{{ID: "bootstrap"}}, Buckets: []Bucket{{Name: "demo-assets", Stack: "bootstrap"}},
		Leftovers: []Leftover{{}}}
	if err := WritePlan(&b, p); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"  1 stack, in this order:", "  1 bucket, every object", "  1 leftover of an earlier run"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "(s)") || strings.Contains(out, "then the final DB snapshot") {
		t.Errorf("plan:\n%s", out)
	}
}
