package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

func TestReportRendersTheHintInTextAndJSON(t *testing.T) {
	t.Parallel()
	failed := fmt.Errorf("deploy: %w", &deploy.DeleteFailedError{Name: "ml-api",
		Resources: []deploy.FailedResource{{LogicalID: "RestApi", Type: "AWS::ApiGateway::RestApi", Reason: "Internal failure"}}})
	for _, format := range []string{"text", "json"} {
		var out, errOut bytes.Buffer
		err := withOutput(format, &stdoutWriter{w: &out}, failed)
		Report(&out, &errOut, err, 1, "Error: "+err.Error())
		if !strings.Contains(errOut.String(), "Error: deploy: stack ml-api could not be deleted") ||
			!strings.Contains(errOut.String(), "\nnext: remove what blocks those resources") {
			t.Errorf("%s: stderr\n%s", format, errOut.String())
		}
		if format == "text" {
			if out.Len() != 0 {
				t.Errorf("text: stdout %q", out.String())
			}
			continue
		}
		var doc ErrorDocument
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("json: stdout is not one document: %v\n%s", err, out.String())
		}
		if !strings.HasPrefix(doc.Error.Message, "deploy: stack ml-api could not be deleted") || doc.Error.ExitCode != 1 ||
			!strings.HasPrefix(doc.Error.Next, "remove what blocks") {
			t.Errorf("json: %+v", doc)
		}
	}
}

func TestReportLeavesSilentErrorsAlone(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	err := withOutput("json", &stdoutWriter{w: &out}, &silentError{err: errors.New("already printed")})
	Report(&out, &errOut, err, 1, "Error: "+err.Error())
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Fatalf("a reported error was rendered again: %q %q", out.String(), errOut.String())
	}
}

// down reports its own failure in its document; Report adds no second one.
func TestReportAddsNoSecondDocument(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	stdout := &stdoutWriter{w: &out}
	if err := writeJSON(stdout, map[string]string{"error": "stack ml-api could not be deleted"}); err != nil {
		t.Fatal(err)
	}
	err := withOutput("json", stdout, errors.New("stack ml-api could not be deleted"))
	Report(&out, &errOut, err, 1, "Error: "+err.Error())
	dec := json.NewDecoder(&out)
	var docs int
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		docs++
	}
	if docs != 1 || !strings.Contains(errOut.String(), "Error: stack ml-api") {
		t.Fatalf("%d documents on stdout; stderr %q", docs, errOut.String())
	}
}

func TestHintSkipsEmptyHints(t *testing.T) {
	t.Parallel()
	inner := &deploy.StackFailedError{Name: "ml-server", Status: "ROLLBACK_COMPLETE", Next: "fix the quota, then run `mlflowctl up` again"}
	outer := &deploy.StackFailedError{Name: "ml", Status: "UPDATE_ROLLBACK_COMPLETE"} // no hint of its own
	err := fmt.Errorf("deploy: %w", &wrapping{outer: outer, inner: inner})
	if got := Hint(err); got != inner.Next {
		t.Fatalf("Hint = %q", got)
	}
	if Hint(errors.New("plain")) != "" || Hint(nil) != "" {
		t.Fatal("a hint from nowhere")
	}
}

// wrapping is an error whose own hint is empty and which wraps another.
type wrapping struct{ outer, inner error }

func (w *wrapping) Error() string { return w.outer.Error() }
func (w *wrapping) Hint() string  { return Hint(w.outer) }
func (w *wrapping) Unwrap() error { return w.inner }
