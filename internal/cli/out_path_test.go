package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnwritableOutputPathIsAUsageError (walk-through F25, re-checked for
// issue 22): `up --dry-run --out` at a path that cannot be a directory
// exited 1 with `create X: mkdir X: not a directory`, and `config init`
// at a path whose folder cannot hold it exited 1 with the raw open error.
// Nothing in AWS is involved: exit 2, naming the flag and a fix.
func TestUnwritableOutputPathIsAUsageError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "mlflowctl.yaml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"up", "--dry-run", "--region", "us-east-1", "--config", cfg, "--out", file}, "--out"},
		{[]string{"up", "--dry-run", "--region", "us-east-1", "--config", cfg, "--out", filepath.Join(file, "sub")}, "--out"},
		{[]string{"config", "init", "--config", filepath.Join(file, "mlflowctl.yaml")}, "--config"},
	} {
		var out, errOut bytes.Buffer
		err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, tc.args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, environment{})
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("%v: exit %d: %v", tc.args, exitCode(err), err)
		}
	}
}
