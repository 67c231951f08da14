package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Found re-checking issue 22 (its item 6 and F20: one problem, in the
// user's words): a section of the wrong shape was reported in the
// decoder's words, `server: expected a map or struct, got "int"` and
// `groups: source data must be an array or slice, got map`, and the
// section's zero values then added problems of their own (server.cpu: 0,
// server.desiredCount: 0, server.architecture: ""), for keys the file
// does not have.
func TestWrongShapeIsOneProblemInPlainWords(t *testing.T) {
	for _, tc := range []struct{ yaml, field, want string }{
		{"server: 5\n", "server", "must be a mapping of keys"},
		{"server: [1, 2]\n", "server", "must be a mapping of keys"},
		{"groups: {}\n", "groups", "must be a list"},
		{"groups: readers\n", "groups", "must be a list"},
	} {
		path := filepath.Join(t.TempDir(), "mlflowctl.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadValid(LoadOptions{Path: path})
		var verr *ValidationError
		if !errors.As(err, &verr) {
			t.Fatalf("%q: err = %v", tc.yaml, err)
		}
		if len(verr.Problems) != 1 || verr.Problems[0].Field != tc.field || !strings.Contains(verr.Problems[0].Message, tc.want) {
			t.Errorf("%q: want one problem at %s saying %q, got %v", tc.yaml, tc.field, tc.want, verr.Problems)
		}
		for _, jargon := range []string{"struct", "slice", "got map", `"int"`} {
			if strings.Contains(err.Error(), jargon) {
				t.Errorf("%q: decoder jargon %q in %v", tc.yaml, jargon, err)
			}
		}
	}
}
