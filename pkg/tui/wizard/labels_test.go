package wizard

import (
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// TestStudioRowNamesTheDeploymentsProfiles (issue 22 item 13, walk-through
// F21): the summary's studio row always said "mlflow-admin, -reader,
// -model-approver" while deployment team-a makes team-a-admin etc.
func TestStudioRowNamesTheDeploymentsProfiles(t *testing.T) {
	c := config.Defaults()
	c.Name = "team-a"
	c.Studio.Enabled = true
	var row string
	for _, s := range Creates(c) {
		if s.Name == "team-a-studio" {
			row = s.What
		}
	}
	if !strings.Contains(row, "team-a-admin, team-a-model-approver, team-a-reader") || strings.Contains(row, "mlflow-") {
		t.Fatalf("studio row %q", row)
	}
}
