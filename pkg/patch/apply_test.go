package patch

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// numbered is a file of n lines "line 1" ... "line n".
func numbered(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("\n")
	}
	return b.String()
}

// twoHunks changes line 3 and line 17 of numbered(20).
const twoHunks = `--- a/f.txt
+++ b/f.txt
@@ -2,3 +2,3 @@
 line 2
-line 3
+line three
 line 4
@@ -16,3 +16,3 @@
 line 16
-line 17
+line seventeen
 line 18
`

func dirWith(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		write(t, filepath.Join(dir, name), []byte(content))
	}
	return dir
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApplyClean(t *testing.T) {
	dir := dirWith(t, map[string]string{"f.txt": numbered(20)})
	applied, err := ApplyToDir(dir, Series{{Name: "clean.diff", Data: []byte(twoHunks)}})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(numbered(20), "line 3\n", "line three\n", 1), "line 17\n", "line seventeen\n", 1)
	if got := readFile(t, dir, "f.txt"); got != want {
		t.Fatalf("got\n%s", got)
	}
	if len(applied) != 1 || len(applied[0].Offsets) != 0 || applied[0].Files[0] != "f.txt" {
		t.Fatalf("applied = %+v", applied)
	}
}

func TestApplyWithOffsets(t *testing.T) {
	// Three lines were added above the first hunk and one removed between
	// the hunks, so hunk 1 sits 3 lines lower and hunk 2 2 lines lower.
	src := "new a\nnew b\nnew c\n" + strings.Replace(numbered(20), "line 10\n", "", 1)
	dir := dirWith(t, map[string]string{"f.txt": src})
	applied, err := ApplyToDir(dir, Series{{Name: "offset.diff", Data: []byte(twoHunks)}})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(src, "line 3\n", "line three\n", 1), "line 17\n", "line seventeen\n", 1)
	if got := readFile(t, dir, "f.txt"); got != want {
		t.Fatalf("got\n%s", got)
	}
	offs := applied[0].Offsets
	if len(offs) != 2 {
		t.Fatalf("offsets = %v, want 2", offs)
	}
	if offs[0].Found-offs[0].Want != 3 || offs[0].Found != 5 || offs[1].Found != 18 || offs[1].Found-offs[1].Want != 2 {
		t.Fatalf("offsets = %v", offs)
	}
	if s := offs[0].String(); s != "offset.diff: f.txt: hunk @@ -2,3 +2,3 @@ applied at line 5 (offset +3 lines)" {
		t.Fatalf("offset report %q", s)
	}
}

func TestApplyConflictReport(t *testing.T) {
	src := strings.Replace(numbered(20), "line 17\n", "line 17 changed upstream\n", 1)
	dir := dirWith(t, map[string]string{"f.txt": src})
	_, err := ApplyToDir(dir, Series{{Name: "0002-fix.patch", Data: []byte(twoHunks)}})
	var c *ConflictError
	if !errors.As(err, &c) {
		t.Fatalf("err = %v, want a ConflictError", err)
	}
	want := `patch 0002-fix.patch: hunk @@ -16,3 +16,3 @@ does not apply to f.txt
expected context:
  | line 16
  | line 17
  | line 18
closest lines found (line 16, 2 of 3 lines match):
  | line 16
  | line 17 changed upstream
  | line 18
fix: regenerate the patch against this MLflow version, or remove it from ui.patches`
	if err.Error() != want {
		t.Fatalf("report:\n%s\nwant:\n%s", err, want)
	}
	if c.ExitCode() != 2 {
		t.Fatal("a conflict is not a usage error")
	}
	if got := readFile(t, dir, "f.txt"); got != src {
		t.Fatal("a failed patch changed the file")
	}
}

func TestApplyNewAndModifiedFile(t *testing.T) {
	diff := `diff --git a/src/app.js b/src/app.js
--- a/src/app.js
+++ b/src/app.js
@@ -1,2 +1,3 @@
 import a from 'a';
+import login from './login';
 run(a);
diff --git a/src/login.js b/src/login.js
new file mode 100644
--- /dev/null
+++ b/src/login.js
@@ -0,0 +1,2 @@
+export default function login() {}
+// no newline below
\ No newline at end of file
`
	dir := dirWith(t, map[string]string{"src/app.js": "import a from 'a';\nrun(a);\n"})
	applied, err := ApplyToDir(dir, Series{{Name: "new.diff", Data: []byte(diff)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dir, "src/app.js"); got != "import a from 'a';\nimport login from './login';\nrun(a);\n" {
		t.Fatalf("app.js:\n%s", got)
	}
	if got := readFile(t, dir, "src/login.js"); got != "export default function login() {}\n// no newline below" {
		t.Fatalf("login.js: %q", got)
	}
	if strings.Join(applied[0].Files, ",") != "src/app.js,src/login.js" {
		t.Fatalf("files %v", applied[0].Files)
	}
	_, rest, _ := strings.Cut(diff, "diff --git a/src/login.js")
	newOnly := "diff --git a/src/login.js" + rest
	if _, err := ApplyToDir(dir, Series{{Name: "new.diff", Data: []byte(newOnly)}}); err == nil || !strings.Contains(err.Error(), "creates src/login.js, which already exists") {
		t.Fatalf("re-applying a new file: %v", err)
	}
}

func TestApplyRejectsPathsOutsideTree(t *testing.T) {
	diff := "--- /dev/null\n+++ b/../../etc/evil\n@@ -0,0 +1 @@\n+x\n"
	_, err := ApplyToDir(t.TempDir(), Series{{Name: "evil.diff", Data: []byte(diff)}})
	var in *InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), "outside the working tree") {
		t.Fatalf("err = %v", err)
	}
}

func TestApplyNotADiff(t *testing.T) {
	_, err := ApplyToDir(t.TempDir(), Series{{Name: "notes.txt", Data: []byte("just some text\n")}})
	var in *InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), "patch notes.txt") {
		t.Fatalf("err = %v", err)
	}
}

// newCheckout commits files into a fresh repository, as a clone would be.
func newCheckout(t *testing.T, files map[string]string) *Checkout {
	t.Helper()
	dir := dirWith(t, files)
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "upstream", Email: "u@localhost", When: time.Unix(1700000000, 0)}
	base, err := wt.Commit("upstream", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	return &Checkout{Dir: dir, Repo: repo, Base: base}
}

// mboxOfThree is git format-patch output: a modification, a new
// executable file plus a deletion, and a rename with a mode change.
func mboxOfThree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	runGit(t, dir, "init", "-q")
	write(t, filepath.Join(dir, "a.txt"), []byte(numbered(10)))
	write(t, filepath.Join(dir, "gone.txt"), []byte("bye\n"))
	write(t, filepath.Join(dir, "old/name.sh"), []byte("echo hi\n"))
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "base")
	write(t, filepath.Join(dir, "a.txt"), []byte(strings.Replace(numbered(10), "line 5\n", "line five\n", 1)))
	runGit(t, dir, "commit", "-q", "-am", "first: edit a")
	write(t, filepath.Join(dir, "tool.sh"), []byte("#!/bin/sh\necho tool\n"))
	if err := os.Chmod(filepath.Join(dir, "tool.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "rm", "-q", "gone.txt")
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "second: add tool, drop gone")
	if err := os.MkdirAll(filepath.Join(dir, "new"), 0o755); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "mv", "old/name.sh", "new/name.sh")
	runGit(t, dir, "update-index", "--chmod=+x", "new/name.sh")
	runGit(t, dir, "commit", "-q", "-m", "third: rename and make executable")
	return runGit(t, dir, "format-patch", "--stdout", "-M", "HEAD~3") + "\n"
}

func TestApplySeriesMboxOfThreeCommitsEach(t *testing.T) {
	co := newCheckout(t, map[string]string{"a.txt": numbered(10), "gone.txt": "bye\n", "old/name.sh": "echo hi\n"})
	mbox := mboxOfThree(t)
	if n := strings.Count(mbox, "Mon Sep 17 00:00:00 2001\n"); n != 3 {
		t.Fatalf("fixture mbox has %d patches", n)
	}
	res, err := ApplySeries(co, Series{{Name: "series.mbox", Data: []byte(mbox)}})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, p := range res.Patches {
		titles = append(titles, p.Name+" "+p.Title)
	}
	if strings.Join(titles, "|") != "series.mbox#1 first: edit a|series.mbox#2 second: add tool, drop gone|series.mbox#3 third: rename and make executable" {
		t.Fatalf("patches: %v", titles)
	}
	if got := readFile(t, co.Dir, "a.txt"); !strings.Contains(got, "line five\n") {
		t.Fatalf("a.txt: %s", got)
	}
	for _, gone := range []string{"gone.txt", "old/name.sh"} {
		if _, err := os.Stat(filepath.Join(co.Dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still exists", gone)
		}
	}
	for _, exe := range []string{"tool.sh", "new/name.sh"} {
		fi, err := os.Stat(filepath.Join(co.Dir, exe))
		if err != nil || fi.Mode().Perm()&0o100 == 0 {
			t.Errorf("%s: %v, mode %v, want executable", exe, err, fi)
		}
	}
	assertBranch(t, co, res, []string{"third: rename and make executable", "second: add tool, drop gone", "first: edit a", "upstream"})
	head, _ := co.Repo.CommitObject(plumbing.NewHash(res.Head))
	f, err := head.File("new/name.sh")
	if err != nil || !f.Mode.IsFile() || f.Mode.String() != "0100755" {
		t.Fatalf("committed new/name.sh: %v %v", f, err)
	}
	if _, err := head.File("gone.txt"); err == nil {
		t.Fatal("gone.txt still committed")
	}
	if head.Author.Name != "t" {
		t.Fatalf("author %q, want the patch's From:", head.Author.Name)
	}
}

// assertBranch checks Branch holds the commits, newest first.
func assertBranch(t *testing.T, co *Checkout, res *Result, subjects []string) {
	t.Helper()
	ref, err := co.Repo.Reference(plumbing.NewBranchReferenceName(Branch), true)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Hash().String() != res.Head {
		t.Fatalf("branch at %s, result head %s", ref.Hash(), res.Head)
	}
	iter, _ := co.Repo.Log(&git.LogOptions{From: ref.Hash()})
	var got []string
	_ = iter.ForEach(func(c *object.Commit) error {
		got = append(got, strings.SplitN(c.Message, "\n", 2)[0])
		return nil
	})
	if strings.Join(got, "|") != strings.Join(subjects, "|") {
		t.Fatalf("branch log %v, want %v", got, subjects)
	}
	head, _ := co.Repo.Head()
	if head.Name().String() != "refs/heads/"+Branch {
		t.Fatalf("HEAD is %s", head.Name())
	}
	wt, _ := co.Repo.Worktree()
	st, _ := wt.Status()
	if !st.IsClean() {
		t.Fatalf("worktree not clean after commit:\n%s", st)
	}
}

func TestApplySeriesUserPatchAfterOurs(t *testing.T) {
	orig, err := os.ReadFile("testdata/mlflow-2.12.2/public/index.html")
	if err != nil {
		t.Fatal(err)
	}
	co := newCheckout(t, map[string]string{indexPath: string(orig)})
	// The user's patch needs our script line as context: it only applies
	// after the project's patch.
	user := `--- a/mlflow/server/js/public/index.html
+++ b/mlflow/server/js/public/index.html
@@ -14,2 +14,3 @@
     <script src="./static-files/mlflowctl-login.js"></script>
+    <script src="./static-files/company-banner.js"></script>
   </head>
`
	userFile := filepath.Join(t.TempDir(), "banner.diff")
	write(t, userFile, []byte(user))
	series, err := FullSeries([]string{userFile})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ApplySeries(co, series)
	if err != nil {
		t.Fatal(err)
	}
	got := readFile(t, co.Dir, indexPath)
	if !strings.Contains(got, "<title>MLflow</title>\n"+scriptTag+"    <script src=\"./static-files/company-banner.js\"></script>\n  </head>") {
		t.Fatalf("index.html:\n%s", got)
	}
	assertBranch(t, co, res, []string{"apply " + userFile, "ui: sign in with Cognito managed login", "upstream"})
	if res.SeriesHash != series.Hash() || res.SeriesHash == mustOwnSeries(t).Hash() {
		t.Fatal("the series hash does not cover the user patch")
	}

	// The reversed order fails, naming the user's patch.
	co2 := newCheckout(t, map[string]string{indexPath: string(orig)})
	_, err = ApplySeries(co2, append(Series{series[1]}, series[0]))
	var c *ConflictError
	if !errors.As(err, &c) || c.Patch != userFile {
		t.Fatalf("reversed order: %v", err)
	}
}

func TestApplySeriesResetsAReusedCheckout(t *testing.T) {
	orig, _ := os.ReadFile("testdata/mlflow-3.18.0/public/index.html")
	co := newCheckout(t, map[string]string{indexPath: string(orig)})
	first, err := ApplySeries(co, mustOwnSeries(t))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(co.Dir, "stray.txt"), []byte("left by a build\n"))
	second, err := ApplySeries(co, mustOwnSeries(t))
	if err != nil {
		t.Fatalf("second run on the same checkout: %v", err)
	}
	if _, err := os.Stat(filepath.Join(co.Dir, "stray.txt")); !os.IsNotExist(err) {
		t.Error("untracked file survived the reset")
	}
	if second.Base != first.Base || len(second.Patches) != 1 {
		t.Fatalf("second = %+v", second)
	}
	assertBranch(t, co, second, []string{"ui: sign in with Cognito managed login", "upstream"})
}

func TestSeriesHash(t *testing.T) {
	a := Series{{Name: "x.patch", Data: []byte("one")}, {Name: "y.patch", Data: []byte("two")}}
	renamed := Series{{Name: "other.patch", Data: []byte("one")}, {Name: "y.patch", Data: []byte("two")}}
	swapped := Series{a[1], a[0]}
	split := Series{{Name: "x.patch", Data: []byte("on")}, {Name: "y.patch", Data: []byte("etwo")}}
	if a.Hash() != renamed.Hash() {
		t.Error("the hash depends on file names")
	}
	if a.Hash() == swapped.Hash() || a.Hash() == split.Hash() {
		t.Error("the hash ignores order or boundaries")
	}
	if len(a.Hash()) != 64 {
		t.Errorf("hash %q", a.Hash())
	}
}

func TestUserSeriesErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.diff")
	write(t, empty, []byte("\n"))
	for _, paths := range [][]string{{"/does/not/exist.patch"}, {empty}} {
		_, err := UserSeries(paths)
		var in *InputError
		if !errors.As(err, &in) || in.Field != "ui.patches[0]" {
			t.Errorf("%v: err = %v", paths, err)
		}
	}
}
