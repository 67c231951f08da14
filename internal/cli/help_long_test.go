package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestReportingCommandsSayWhatTheyPrint (walk-through F24, re-checked for
// issue 22): status, whoami, config show/validate and backups list had a
// one-line help that said nothing about -o json or what "nothing there"
// looks like. Each help says what -o json prints and its exit status.
func TestReportingCommandsSayWhatTheyPrint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path []string
		want []string
	}{
		{[]string{"status"}, []string{"-o json", "not deployed", "partial", "exits 0"}},
		{[]string{"whoami"}, []string{"-o json", "no AWS credentials", "exit 2"}},
		{[]string{"config", "show"}, []string{"-o json", "not checked"}},
		{[]string{"config", "validate"}, []string{"-o json", "exits 2", `"problems"`}},
		{[]string{"backups", "list"}, []string{"-o json", "[]", "exit 2"}},
	} {
		var out, errOut bytes.Buffer
		args := append(append([]string{}, tc.path...), "--help")
		if err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, environment{}); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: help lacks %q:\n%s", tc.path, w, out.String())
			}
		}
	}
}
