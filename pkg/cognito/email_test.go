package cognito

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	good := map[string]string{
		"alice@example.com":         "alice@example.com",
		"  Alice.Smith@Example.COM": "alice.smith@example.com",
		"a+tag@sub.example.co.uk":   "a+tag@sub.example.co.uk",
		"mlflow-admin@corp.example": "mlflow-admin@corp.example",
	}
	for in, want := range good {
		got, err := NormalizeEmail(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"", "   ", "alice", "alice@", "@example.com", "alice@example", "alice@@example.com",
		"Alice <alice@example.com>", "alice smith@example.com", "alice@-example.com",
		"alice@example..com", ".alice@example.com", "alice.@example.com", `"al ice"@example.com`,
		"alice@example.com (work)", "alice@exa_mple.com",
		strings.Repeat("a", 120) + "@example.com",
	}
	for _, in := range bad {
		got, err := NormalizeEmail(in)
		if err == nil {
			t.Errorf("NormalizeEmail(%q) = %q, want an error", in, got)
			continue
		}
		var ie *InputError
		if !errors.As(err, &ie) || ie.ExitCode() != 2 {
			t.Errorf("NormalizeEmail(%q): %T, want *InputError", in, err)
		}
	}
}
