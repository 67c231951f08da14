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
	failed := fmt.Errorf("deploy: %w", &deploy.ErrDeleteFailed{Name: "ml-api",
		Resources: []deploy.FailedResource{{LogicalID: "RestApi", Type: "AWS::ApiGateway::RestApi", Reason: "Internal failure"}}})
	for _, format := range []string{"text", "json"} {
		var out, errOut bytes.Buffer
		err := withOutput(format, failed)
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
	var out, errOut bytes.Buffer
	err := withOutput("json", &silentError{err: errors.New("already printed")})
	Report(&out, &errOut, err, 1, "Error: "+err.Error())
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Fatalf("a reported error was rendered again: %q %q", out.String(), errOut.String())
	}
}
