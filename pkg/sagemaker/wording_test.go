package sagemaker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/sagemaker"
)

// TestStuckErrorCountsInWords (issue 22 item 13): "1 user profile(s)"
// reads "1 user profile", and two "2 user profiles".
func TestStuckErrorCountsInWords(t *testing.T) {
	one := (&sagemaker.StuckError{What: "user profile", Items: []string{"alice is Deleting"}, Waited: time.Minute}).Error()
	two := (&sagemaker.StuckError{What: "app", Items: []string{"a is Deleting", "b is Deleting"}, Waited: time.Minute}).Error()
	if !strings.HasPrefix(one, "studio: 1 user profile not deleted") || !strings.HasPrefix(two, "studio: 2 apps not deleted") {
		t.Fatalf("wording:\n%s\n%s", one, two)
	}
	if strings.Contains(one+two, "(s)") {
		t.Fatalf("(s) in:\n%s\n%s", one, two)
	}
}
