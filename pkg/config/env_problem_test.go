package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 22 item 6: "Errors from MLFLOWCTL_* variables name the variable and
// its value." A value of the right type that fails a rule
// (MLFLOWCTL_SERVER_CPU=3000) was reported as `server.cpu: 3000 is not a
// Fargate CPU size`, so the user looked in the file, which says 1024.
func TestRuleProblemFromVariableNamesIt(t *testing.T) {
	t.Setenv("MLFLOWCTL_SERVER_CPU", "3000")
	_, err := LoadValid(LoadOptions{Path: filepath.Join(t.TempDir(), "absent.yaml")})
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 1 {
		t.Fatalf("err = %v, want one problem", err)
	}
	p := verr.Problems[0]
	if p.Field != "server.cpu" || !strings.Contains(p.Message, `from MLFLOWCTL_SERVER_CPU="3000"`) {
		t.Fatalf("problem %q does not name the variable and its value", p)
	}
}

// A flag wins over the variable, so a problem with the flag's value must
// not blame the variable.
func TestRuleProblemFromFlagDoesNotBlameVariable(t *testing.T) {
	t.Setenv("MLFLOWCTL_NAME", "fine")
	_, err := LoadValid(LoadOptions{Path: filepath.Join(t.TempDir(), "absent.yaml"), Overrides: map[string]any{"name": "Bad_Name"}})
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 1 {
		t.Fatalf("err = %v, want one problem", err)
	}
	if strings.Contains(verr.Problems[0].Message, "MLFLOWCTL_NAME") {
		t.Fatalf("problem %q blames the variable the flag overrode", verr.Problems[0])
	}
}
