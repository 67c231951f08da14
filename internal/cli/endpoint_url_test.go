package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestMalformedEndpointURLIsAUsageError (issue 22, walk-through F20): a
// malformed --endpoint-url was not checked up front: every command tried
// it through 8 retries and exited 1 with `unsupported protocol scheme ""`.
// It is bad input: exit 2 before any call, naming the flag and a fix.
func TestMalformedEndpointURLIsAUsageError(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"not a url", "127.0.0.1:4566", "ftp://127.0.0.1:4566", "http://", "http://host:port"} {
		var out, errOut bytes.Buffer
		args := []string{"whoami", "--endpoint-url", u, "--region", "us-east-1"}
		err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, environment{})
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "--endpoint-url") || !strings.Contains(err.Error(), "http://127.0.0.1") {
			t.Errorf("--endpoint-url %q: exit %d: %v", u, exitCode(err), err)
		}
	}
}
