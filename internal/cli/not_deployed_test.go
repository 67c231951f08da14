package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

// Issue 22 (exit codes): a deployment that is not there is bad input
// (check --name/--region, or run up), exit 2 as verify, ui deploy, users
// and backup say it; `env` and `logs` said it with exit 1, and `env` said
// "nothing is deployed" of a deployment whose bootstrap stack exists.
func TestEnvOfAMissingAPIStackIsAUsageError(t *testing.T) {
	t.Parallel()
	fake := cfnfake.New()
	fake.Seed("part-bootstrap", "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n", nil,
		map[string]string{"mlflowctl:deployment": "part", "mlflowctl:stack": "bootstrap"}, types.StackStatusCreateComplete)
	env := environment{aws: func() awsClients { return awsClients{cfn: fake, region: "us-east-1"} }}
	var out, errOut bytes.Buffer
	args := []string{"env", "--sigv4", "--name", "part", "--region", "us-east-1"}
	err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, env)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "part-api") || !strings.Contains(err.Error(), "mlflowctl up --name part") {
		t.Fatalf("env of a deployment without its api stack: exit %d: %v", exitCode(err), err)
	}
}

func TestLogsOfNothingDeployedIsAUsageError(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	var out, errOut bytes.Buffer
	args := []string{"logs", "--name", "ghost", "--endpoint-url", srv.URL, "--region", mototest.Region}
	err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, inTest(t, environment{}))
	if exitCode(err) != 2 || !strings.Contains(err.Error(), `nothing is deployed as "ghost"`) {
		t.Fatalf("logs of nothing: exit %d: %v", exitCode(err), err)
	}
}
