package cli

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestUnreachableEndpointNamesAFix (issue 22, walk-through F20): a call
// that cannot reach its endpoint ended in the SDK's `exceeded maximum
// number of attempts, 8, https response error StatusCode: 0 … connection
// refused` with no next step. Report adds one naming the host and what to
// check.
func TestUnreachableEndpointNamesAFix(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	resp, sendErr := http.Post("http://"+addr+"/", "text/plain", nil)
	if sendErr == nil {
		_ = resp.Body.Close()
		t.Fatalf("a request to the closed port %s succeeded", addr)
	}
	cause := fmt.Errorf("read the stacks of %q: operation error CloudFormation: DescribeStacks, exceeded maximum number of attempts, 8, %w", "demo", sendErr)
	var stdout, stderr bytes.Buffer
	Report(&stdout, &stderr, cause, 1, "Error: "+cause.Error())
	next := stderr.String()
	if !strings.Contains(next, "next: ") || !strings.Contains(next, addr) || !strings.Contains(next, "--endpoint-url") {
		t.Fatalf("no next step naming %s and what to check:\n%s", addr, next)
	}
}
