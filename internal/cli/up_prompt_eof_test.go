package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

// TestUpPromptEndsItsLineWhenStdinIsClosed (walk-through I9): with stdin
// closed, `Deploy "x" to us-east-1? [y/N] Error: no answer on stdin …`
// came out as one line. The prompt's line is ended before the error
// (Report prints it on the next line), as on a terminal where Enter ends
// it.
func TestUpPromptEndsItsLineWhenStdinIsClosed(t *testing.T) {
	t.Parallel()
	env := environment{
		aws: func() awsClients { return awsClients{cfn: cfnfake.New(), region: "us-east-1"} },
		// the prompt comes before every step; preflight's stand-in finds nothing
		upSteps: func() app.UpSteps {
			return app.UpSteps{
				Preflight: func(context.Context) (func(context.Context) error, error) {
					return func(context.Context) error { return nil }, nil
				},
				BuildImages: func(context.Context, deploy.Outputs, func(string)) (map[string]string, error) {
					return nil, errors.New("no step may run before the answer")
				},
				APIGatewayLogging: func(context.Context, func(string)) error { return errors.New("no step may run before the answer") },
				PublishUI: func(context.Context, deploy.Outputs, func(string)) error {
					return errors.New("no step may run before the answer")
				},
				Verify: func(context.Context, deploy.Outputs, func(string)) error {
					return errors.New("no step may run before the answer")
				},
			}
		},
	}
	var out, errOut bytes.Buffer
	args := []string{"up", "--name", "closed", "--region", "us-east-1", "--skip-preflight", "--config", "/dev/null"}
	err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, env)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "no answer on stdin") {
		t.Fatalf("up with stdin closed: exit %d: %v\n%s", exitCode(err), err, errOut.String())
	}
	if !strings.HasSuffix(errOut.String(), "[y/N] \n") {
		t.Fatalf("the prompt's line is not ended before the error:\n%q", errOut.String())
	}
}
