package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
)

// TestUIDeployOnAPartialDeploymentChangesNothing (issue 22, walk-through
// F20): `ui deploy` on a deployment with only its bootstrap stack said
// `stack part-api has no AmplifyAppId output`, then "(the command had
// already changed AWS)" and exit 1, though nothing had been touched. It
// is exit 2 before any change, naming the missing stacks and `up`.
func TestUIDeployOnAPartialDeploymentChangesNothing(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	ctx := context.Background()
	cfg := srv.AWSConfig()
	_, err := cloudformation.NewFromConfig(cfg).CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String("part-bootstrap"),
		TemplateBody: aws.String("Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\nOutputs:\n  AssetsBucketName: {Value: part-assets}\n"),
		Tags: []cfntypes.Tag{{Key: aws.String("mlflowctl:deployment"), Value: aws.String("part")},
			{Key: aws.String("mlflowctl:stack"), Value: aws.String("bootstrap")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	args := []string{"ui", "deploy", "--name", "part", "--endpoint-url", srv.URL, "--region", mototest.Region}
	err = execute(ctx, BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, inTest(t, environment{}))
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if exitCode(err) != 2 || strings.Contains(msg, "already changed") || !strings.Contains(msg, "part-api") || !strings.Contains(msg, "mlflowctl up --name part") {
		t.Fatalf("ui deploy on a partial deployment: exit %d: %s\n%s", exitCode(err), msg, errOut.String())
	}
}
