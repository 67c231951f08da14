package patch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// TestPrepareEachSupportedVersion is the whole path for every supported
// MLflow version: clone its tag over HTTP from a repository holding the
// real index.html of each release, apply the project's patch and a user
// patch, commit on mlflowctl/patched, and read the result back with git.
func TestPrepareEachSupportedVersion(t *testing.T) {
	var tags []string
	for _, v := range config.SupportedMLflowVersions {
		tags = append(tags, RefForVersion(v))
	}
	s := startGitServerWith(t, tags, func(tag string) []byte {
		b, err := os.ReadFile("testdata/mlflow-" + strings.TrimPrefix(tag, "v") + "/public/index.html")
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
	user := filepath.Join(t.TempDir(), "0001-title.diff")
	write(t, user, []byte("--- a/"+indexPath+"\n+++ b/"+indexPath+"\n@@ -13 +13 @@\n-    <title>MLflow</title>\n+    <title>MLflow (team)</title>\n"))
	series, err := FullSeries([]string{user})
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			res, err := Prepare(testCtx(t), s.opts(t, cache, RefForVersion(v)), series)
			if err != nil {
				t.Fatal(err)
			}
			if res.Base != s.tags[RefForVersion(v)] || len(res.Patches) != 2 || len(res.Offsets()) != 0 {
				t.Fatalf("result %+v", res)
			}
			html := readFile(t, res.Dir, indexPath)
			if !strings.Contains(html, "<title>MLflow (team)</title>\n"+scriptTag+"  </head>") {
				t.Fatalf("index.html:\n%s", html)
			}
			out, err := exec.Command("git", "-C", res.Dir, "log", "--format=%s", Branch).CombinedOutput()
			if err != nil {
				t.Fatalf("git log: %v\n%s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != "apply "+user+"\nui: sign in with Cognito managed login\nrelease "+RefForVersion(v) {
				t.Fatalf("git log %s:\n%s", Branch, got)
			}
			status, _ := exec.Command("git", "-C", res.Dir, "status", "--porcelain").CombinedOutput()
			if len(status) != 0 {
				t.Fatalf("git status after Prepare:\n%s", status)
			}
		})
	}
}
