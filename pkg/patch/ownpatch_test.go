package patch

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bluekeyes/go-gitdiff/gitdiff"

	"github.com/mlflowctl/mlflowctl/internal/golden"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

const (
	indexPath  = "mlflow/server/js/public/index.html"
	scriptPath = "mlflow/server/js/public/mlflowctl-login.js"
	scriptTag  = `    <script src="./static-files/mlflowctl-login.js"></script>` + "\n"
	ownPatch   = "../../templates/ui/0001-ui-sign-in-with-Cognito-managed-login.patch"
	loginJS    = "../../templates/ui/mlflowctl-login.js"
)

// TestOwnPatchIsCurrent keeps the patch and the script it carries in step;
// `go test ./pkg/patch -run TestOwnPatchIsCurrent -update` (or
// UPDATE_GOLDEN=1, the golden files' switch) regenerates the patch with
// git format-patch -U1 (one line of context on each side).
func TestOwnPatchIsCurrent(t *testing.T) {
	if golden.Update() {
		regenerateOwnPatch(t)
	}
	script, err := os.ReadFile(loginJS)
	if err != nil {
		t.Fatal(err)
	}
	patches, err := parseSeries(mustOwnSeries(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(patches) != 1 {
		t.Fatalf("own series has %d patches, want 1", len(patches))
	}
	files := map[string]*gitdiff.File{}
	for _, f := range patches[0].files {
		files[f.NewName] = f
	}
	if len(files) != 2 || files[indexPath] == nil || files[scriptPath] == nil {
		t.Fatalf("own patch touches %v, want only %s and %s", keys(files), indexPath, scriptPath)
	}
	var carried strings.Builder
	for _, l := range files[scriptPath].TextFragments[0].Lines {
		carried.WriteString(l.Line)
	}
	if carried.String() != string(script) {
		t.Fatalf("the patch carries an old %s: run go test ./pkg/patch -run TestOwnPatchIsCurrent -update", loginJS)
	}
	frags := files[indexPath].TextFragments
	if len(frags) != 1 {
		t.Fatalf("index.html has %d hunks, want 1", len(frags))
	}
	var got []string
	for _, l := range frags[0].Lines {
		got = append(got, l.String())
	}
	want := []string{" " + "    <title>MLflow</title>\n", "+" + scriptTag, " " + "  </head>\n"}
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Fatalf("index.html hunk is\n%s\nwant only the script line between <title> and </head>:\n%s", strings.Join(got, ""), strings.Join(want, ""))
	}
}

func keys(m map[string]*gitdiff.File) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func mustOwnSeries(t *testing.T) Series {
	t.Helper()
	s, err := OwnSeries()
	if err != nil {
		t.Fatal(err)
	}
	if len(s) == 0 {
		t.Fatal("no templates/ui/*.patch embedded")
	}
	return s
}

func regenerateOwnPatch(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=mlflowctl", "GIT_AUTHOR_EMAIL=mlflowctl@localhost",
			"GIT_COMMITTER_NAME=mlflowctl", "GIT_COMMITTER_EMAIL=mlflowctl@localhost",
			"GIT_AUTHOR_DATE=2026-11-26T00:00:00Z", "GIT_COMMITTER_DATE=2026-11-26T00:00:00Z")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	git("init", "-q")
	index, err := os.ReadFile("testdata/mlflow-" + config.DefaultMLflowVersion + "/public/index.html")
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, indexPath), index)
	git("add", ".")
	git("commit", "-q", "-m", "mlflow "+config.DefaultMLflowVersion)
	script, err := os.ReadFile(loginJS)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, scriptPath), script)
	write(t, filepath.Join(dir, indexPath), bytes.Replace(index, []byte("  </head>\n"), []byte(scriptTag+"  </head>\n"), 1))
	git("add", ".")
	git("commit", "-q", "-m", "ui: sign in with Cognito managed login",
		"-m", "Adds public/mlflowctl-login.js (authorization code + PKCE, token refresh, sign-out;\n"+
			"it sets the mlflow-request-header-Authorization cookie the UI forwards as a header)\n"+
			"and loads it from public/index.html, before </head>. Nothing else changes, so the\n"+
			"patch applies to every MLflow version from 2.0 to 3.x.")
	out := git("format-patch", "-1", "-U1", "--stdout", "--no-signature")
	write(t, ownPatch, []byte(out))
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOwnPatchAppliesToRealIndexHTML applies the project's patch to the
// real public/index.html of every supported MLflow version.
func TestOwnPatchAppliesToRealIndexHTML(t *testing.T) {
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			orig, err := os.ReadFile("testdata/mlflow-" + v + "/public/index.html")
			if err != nil {
				t.Fatalf("no fixture for supported version %s: %v", v, err)
			}
			dir := t.TempDir()
			write(t, filepath.Join(dir, indexPath), orig)
			applied, err := ApplyToDir(dir, mustOwnSeries(t))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(applied[0].Offsets); n != 0 {
				t.Errorf("applied with %d offsets to %s, want exact: %v", n, v, applied[0].Offsets)
			}
			got, _ := os.ReadFile(filepath.Join(dir, indexPath))
			want := strings.Replace(string(orig), "    <title>MLflow</title>\n  </head>\n",
				"    <title>MLflow</title>\n"+scriptTag+"  </head>\n", 1)
			if string(got) != want || want == string(orig) {
				t.Fatalf("patched index.html of %s:\n%s", v, got)
			}
			script, _ := os.ReadFile(loginJS)
			gotScript, err := os.ReadFile(filepath.Join(dir, scriptPath))
			if err != nil || !bytes.Equal(gotScript, script) {
				t.Fatalf("login script not created as in templates/ui: %v", err)
			}
		})
	}
}

// TestOwnPatchAppliesWithGitAm is a second opinion from git itself: the
// same fixtures, `git am` of the embedded patch.
func TestOwnPatchAppliesWithGitAm(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			dir := t.TempDir()
			orig, err := os.ReadFile("testdata/mlflow-" + v + "/public/index.html")
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, indexPath), orig)
			run := func(stdin []byte, args ...string) {
				cmd := exec.Command("git", args...)
				cmd.Dir = dir
				cmd.Stdin = bytes.NewReader(stdin)
				cmd.Env = append(os.Environ(), "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@localhost", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@localhost")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			run(nil, "init", "-q")
			run(nil, "add", ".")
			run(nil, "commit", "-q", "-m", "mlflow "+v)
			run(mustOwnSeries(t)[0].Data, "am", "-q", "-C1")
			got, _ := os.ReadFile(filepath.Join(dir, indexPath))
			if !bytes.Contains(got, []byte("<title>MLflow</title>\n"+scriptTag+"  </head>")) {
				t.Fatalf("git am result:\n%s", got)
			}
		})
	}
}

// TestFixturesMatchSdistBuilds ties each public/index.html fixture to its
// release: the sdist on PyPI ships build/index.html, which CRA generates
// from public/index.html by minifying it and adding the bundle tags.
func TestFixturesMatchSdistBuilds(t *testing.T) {
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			public, err := os.ReadFile("testdata/mlflow-" + v + "/public/index.html")
			if err != nil {
				t.Fatal(err)
			}
			build, err := os.ReadFile("testdata/mlflow-" + v + "/build/index.html")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(build, []byte("<title>MLflow</title><script defer")) {
				t.Errorf("build/index.html of %s does not put the bundle right after <title>", v)
			}
			if p, b := minified(string(public)), withoutBundle(string(build)); p != b {
				t.Fatalf("public/index.html fixture of %s does not produce its sdist's build/index.html:\npublic: %s\nbuild:  %s", v, p, b)
			}
		})
	}
}

var (
	htmlComment   = regexp.MustCompile(`(?s)<!--.*?-->`)
	betweenTags   = regexp.MustCompile(`>\s+<`)
	selfClosing   = regexp.MustCompile(`\s*/>`)
	commaSpace    = regexp.MustCompile(`,\s+`)
	textPadding   = regexp.MustCompile(`>\s+([^<]*?)\s+<`)
	bundleTags    = regexp.MustCompile(`<script defer="defer" src="static-files/static/js/main\.[0-9a-f]+\.js"></script><link href="static-files/static/css/main\.[0-9a-f]+\.css" rel="stylesheet">`)
	doctypeUpper  = regexp.MustCompile(`^<!DOCTYPE html>`)
	trailingSpace = regexp.MustCompile(`\s+$`)
)

// minified applies the html-minifier options CRA uses that matter here.
func minified(s string) string {
	s = htmlComment.ReplaceAllString(s, "")
	s = betweenTags.ReplaceAllString(s, "><")
	s = textPadding.ReplaceAllString(s, ">$1<")
	s = selfClosing.ReplaceAllString(s, "/>")
	s = commaSpace.ReplaceAllString(s, ",")
	s = doctypeUpper.ReplaceAllString(s, "<!doctype html>")
	return trailingSpace.ReplaceAllString(s, "")
}

func withoutBundle(s string) string {
	return trailingSpace.ReplaceAllString(bundleTags.ReplaceAllString(s, ""), "")
}
