package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPushContainerFromNotAnImageNamesTheFix (issue 22, walk-through F20):
// `--from junk.tar` said `read image tarball junk.tar: unexpected EOF`,
// without the `docker save` hint a missing file gets. It is checked
// before any AWS call (no endpoint or credentials are given here): exit 2,
// naming --from and how to make the file.
func TestPushContainerFromNotAnImageNamesTheFix(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "mlflowctl.yaml") // empty: the defaults
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"junk.tar": "junk\n", "empty.tar": "", "text.tar": strings.Repeat("not a tar archive ", 64)} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		args := []string{"push-container", "--from", path, "--repository", "labs", "--region", "us-east-1", "--config", cfg}
		err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, environment{})
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "--from") || !strings.Contains(err.Error(), "docker save -o") {
			t.Errorf("%s: exit %d: %v", name, exitCode(err), err)
		}
	}
}
