package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestPositionalArgumentErrorsNameTheCommand (issue 22, walk-through F20):
// a missing or extra argument got cobra's default `accepts 1 arg(s),
// received 0` and `Run 'mlflowctl --help'`, naming neither the argument
// nor the command; an unknown subcommand (`users remov`) printed the
// group's help and exited 0. Each now says what the command takes, shows an example
// and points at the command's own help; exit 2.
func TestPositionalArgumentErrorsNameTheCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"users", "remove"}, []string{"mlflowctl users remove takes EMAIL", "got none", "mlflowctl users remove --help"}},
		{[]string{"users", "remove", "a@example.com", "b@example.com"}, []string{"takes EMAIL", `got 2: "a@example.com" "b@example.com"`}},
		{[]string{"users", "add"}, []string{"mlflowctl users add takes EMAIL", "e.g. mlflowctl users add"}},
		{[]string{"authz", "check", "-g", "readers", "GET"}, []string{"mlflowctl authz check takes METHOD PATH", `got "GET"`, "mlflowctl authz check --help"}},
		{[]string{"completion", "tcsh"}, []string{`"tcsh"`, "bash, zsh, fish, powershell"}},
		{[]string{"backup", "extra"}, []string{"mlflowctl backup takes no arguments", `"extra"`, "mlflowctl backup --help"}},
		{[]string{"users", "remov", "a@example.com"}, []string{`unknown command "remov" for "mlflowctl users"`, "remove", "mlflowctl users --help"}},
		{[]string{"config", "frob"}, []string{`unknown command "frob" for "mlflowctl config"`, "mlflowctl config --help"}},
		{[]string{"up", "--bogus"}, []string{"unknown flag: --bogus", "mlflowctl up --help"}},
	} {
		var out, errOut bytes.Buffer
		err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, tc.args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, environment{})
		if exitCode(err) != 2 {
			t.Errorf("%v: exit %d: %v", tc.args, exitCode(err), err)
			continue
		}
		msg := err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%v: message lacks %q:\n%s", tc.args, w, msg)
			}
		}
		if strings.Contains(msg, "arg(s)") {
			t.Errorf("%v: cobra's wording:\n%s", tc.args, msg)
		}
	}
}
