package stacks

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata/golden")

// TestGolden compares every rendered template with its reviewed copy.
// After an intended change: go test ./pkg/stacks -run TestGolden -update,
// then review the diff of testdata/golden.
func TestGolden(t *testing.T) {
	for _, v := range variants() {
		for _, s := range render(t, v.cfg).Stacks {
			path := filepath.Join("testdata", "golden", v.name, s.ID+".yaml")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, s.Template, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(want, s.Template) {
				t.Errorf("%s differs from the rendered template: review, then run go test ./pkg/stacks -run TestGolden -update", path)
			}
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	for _, v := range variants() {
		a, b := render(t, v.cfg), render(t, v.cfg)
		for i := range a.Stacks {
			if !bytes.Equal(a.Stacks[i].Template, b.Stacks[i].Template) {
				t.Errorf("%s/%s renders differently twice", v.name, a.Stacks[i].ID)
			}
		}
	}
}
