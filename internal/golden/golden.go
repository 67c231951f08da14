// Package golden is the one golden-file helper of the project's tests.
//
// A golden file holds the reviewed output of a test. After an intended
// change, rewrite the files with either spelling of the one switch:
//
//	go test ./pkg/stacks -update
//	UPDATE_GOLDEN=1 go test ./pkg/...
//
// then review the diff before committing it (in its own `goldens:` commit).
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	// teatest's golden package registers the -update flag at init and a
	// second registration would panic in every test binary that links
	// teatest; importing it here makes it initialise first, and Update
	// reads that flag: one -update for every golden test.
	_ "github.com/charmbracelet/x/exp/golden"
)

// Update says whether golden files are rewritten: the -update flag or
// UPDATE_GOLDEN=1 in the environment.
func Update() bool {
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		return true
	}
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Path is testdata/<test name>.golden, where a test with one golden file
// keeps it (subtests get a folder per parent test).
func Path(t testing.TB) string {
	return filepath.Join("testdata", t.Name()+".golden")
}

// Assert fails t unless got equals the golden file at path (relative to
// the package directory, or absolute). With Update it first rewrites the
// file (creating its folder).
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if Update() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run the test with -update (or UPDATE_GOLDEN=1) to create it", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output: %s\nreview, then rewrite it with -update (or UPDATE_GOLDEN=1)", path, firstDifference(want, got))
	}
}

// firstDifference shows the first line where want and got part, quoted
// so that escape sequences and trailing spaces are visible.
func firstDifference(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			return fmt.Sprintf("line %d\n  want %q\n  got  %q", i+1, wl, gl)
		}
	}
	return "same lines, different bytes"
}
