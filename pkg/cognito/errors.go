package cognito

import "fmt"

// InputError is a problem with what the user asked for (a bad e-mail, a
// weak password, an unknown group, a missing pool). It maps to exit code 2
// and means nothing was changed.
type InputError struct {
	Msg string
}

func (e *InputError) Error() string { return e.Msg }

// ExitCode marks input problems as bad usage.
func (e *InputError) ExitCode() int { return 2 }

func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}
