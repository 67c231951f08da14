package golden

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Errorf(f string, args ...any) { r.failed = append(r.failed, "error") }
func (r *recorder) Fatalf(f string, args ...any) { r.failed = append(r.failed, "fatal") }
func (r *recorder) Fatal(args ...any)            { r.failed = append(r.failed, "fatal") }
func (r *recorder) Name() string                 { return "TestX" }

func TestAssertPassesOnEqualAndFailsOnDifferent(t *testing.T) {
	t.Setenv("UPDATE_GOLDEN", "")
	path := filepath.Join(t.TempDir(), "a.golden")
	if err := os.WriteFile(path, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Assert(r, path, []byte("one\ntwo\n"))
	if len(r.failed) != 0 {
		t.Fatalf("equal output failed: %v", r.failed)
	}
	Assert(r, path, []byte("one\nthree\n"))
	if len(r.failed) != 1 {
		t.Fatalf("different output passed")
	}
	if got := firstDifference([]byte("one\ntwo\n"), []byte("one\nthree\n")); !strings.Contains(got, "line 2") {
		t.Errorf("difference: %s", got)
	}
	if b, _ := os.ReadFile(path); string(b) != "one\ntwo\n" {
		t.Errorf("the file was rewritten without -update: %q", b)
	}
}

func TestUpdateRewritesWithEitherSwitch(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("UPDATE_GOLDEN", "1")
	path := filepath.Join(dir, "sub", "b.golden")
	r := &recorder{TB: t}
	Assert(r, path, []byte("new"))
	if b, err := os.ReadFile(path); err != nil || string(b) != "new" || len(r.failed) != 0 {
		t.Fatalf("UPDATE_GOLDEN=1 did not write: %q %v %v", b, err, r.failed)
	}
	t.Setenv("UPDATE_GOLDEN", "")
	if err := flag.Set("update", "true"); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = flag.Set("update", "false") }()
	Assert(r, path, []byte("newer"))
	if b, _ := os.ReadFile(path); string(b) != "newer" {
		t.Fatalf("-update did not write: %q", b)
	}
}

func TestPathIsTestdataTestName(t *testing.T) {
	if got := Path(t); got != filepath.Join("testdata", "TestPathIsTestdataTestName.golden") {
		t.Fatal(got)
	}
}
