package patch

import "fmt"

// InputError is bad input (a URL, a reference, credentials, a patch file):
// the user fixes it, so the CLI exits with code 2.
type InputError struct {
	Field string
	Msg   string
}

func (e *InputError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }

// ExitCode marks the error as a usage error for the CLI.
func (e *InputError) ExitCode() int { return 2 }
