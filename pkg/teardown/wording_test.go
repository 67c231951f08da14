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
	if got := keptNote([]Kept{{}}); got != " but 1 resource kept" {
		t.Errorf("kept note: %q", got)
	}
}
