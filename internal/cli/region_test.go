package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDryRunRefusesChinaFromTheEnvironment (issue 22 item 13): --region
// cn-north-1 was refused, AWS_REGION=cn-north-1 rendered stacks for the
// wrong partition. Exit 2, nothing rendered.
func TestDryRunRefusesChinaFromTheEnvironment(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	setVar(t, "AWS_REGION", "cn-north-1")
	out := filepath.Join(t.TempDir(), "rendered")
	_, _, err := runCLI(t, "up", "--dry-run", "--out", out)
	if exitCode(err) != 2 || !strings.Contains(fmt.Sprint(err), "aws-cn (China)") {
		t.Fatalf("exit %d: %v", exitCode(err), err)
	}
	if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
		t.Fatalf("rendered into %s anyway", out)
	}
}
