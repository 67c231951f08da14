package stacks

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/golden"
)

// TestGolden compares every rendered template with its reviewed copy.
// After an intended change: go test ./pkg/stacks -run TestGolden -update
// (or UPDATE_GOLDEN=1), then review the diff of testdata/golden.
func TestGolden(t *testing.T) {
	for _, v := range variants() {
		for _, s := range render(t, v.cfg).Stacks {
			path := filepath.Join("testdata", "golden", v.name, s.ID+".yaml")
			golden.Assert(t, path, s.Template)
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
