package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

func TestStatusNothingDeployed(t *testing.T) {
	noAWSEnv(t)
	t.Chdir(t.TempDir())
	env := withFakeAWS(t, cfnfake.New(), &putRecorder{})
	out, _, err := runEnv(t, env, "", "status", "--region", "us-east-1")
	if err != nil || !strings.Contains(out, `Nothing is deployed as "mlflow"`) || !strings.Contains(out, "mlflowctl up") {
		t.Fatalf("%v\n%s", err, out)
	}
	out, _, err = runEnv(t, env, "", "status", "--region", "us-east-1", "-o", "json")
	var rep statusReport
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Deployed || len(rep.Stacks) != len(stacks.IDs) {
		t.Fatalf("%v %+v\n%s", err, rep, out)
	}
}

func TestStatusAfterUp(t *testing.T) {
	noAWSEnv(t)
	t.Chdir(t.TempDir())
	synctest.Test(t, func(t *testing.T) {
		env := withFakeAWS(t, cfnfake.New(), &putRecorder{})
		if _, errOut, err := runEnv(t, env, "", "up", "--yes", "--region", "us-east-1"); err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		out, _, err := runEnv(t, env, "", "status", "--region", "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"mlflow-bootstrap", "CREATE_COMPLETE", "1.2.3", "MLflow version:", config3()} {
			if !strings.Contains(out, want) {
				t.Errorf("status lacks %q:\n%s", want, out)
			}
		}
		out, _, _ = runEnv(t, env, "", "status", "--region", "us-east-1", "-o", "json")
		var rep statusReport
		if json.Unmarshal([]byte(out), &rep) != nil || !rep.Deployed || rep.Endpoints.MLflowVersion != config3() {
			t.Fatalf("json %s", out)
		}
	})
}

func config3() string { return "3.18.0" }

// Against moto: stacks created with small templates (moto cannot create
// the real ones) and the deployment's tags; status reads them back over
// the real CloudFormation API.
func TestStatusAgainstMoto(t *testing.T) {
	srv := mototest.Start(t)
	ctx := context.Background()
	cfn := cloudformation.NewFromConfig(aws.Config{
		Region: mototest.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
	tpl := func(outputs map[string]string) string {
		b := strings.Builder{}
		b.WriteString("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\nOutputs:\n")
		for k, v := range outputs {
			b.WriteString("  " + k + ":\n    Value: \"" + v + "\"\n")
		}
		return b.String()
	}
	for id, outs := range map[string]map[string]string{
		stacks.Server: {stacks.OutMLflowVersion: "2.12.2"},
		stacks.API:    {stacks.OutRestAPIURL: "https://abc.execute-api.us-east-1.amazonaws.com/prod/", stacks.OutUIURL: "https://main.d1.amplifyapp.com"},
	} {
		_, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
			StackName: aws.String("team-" + id), TemplateBody: aws.String(tpl(outs)),
			Tags: []types.Tag{{Key: aws.String("mlflowctl:deployment"), Value: aws.String("team")}, {Key: aws.String("mlflowctl:stack"), Value: aws.String(id)}, {Key: aws.String("mlflowctl:version"), Value: aws.String("0.9.0")}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, err := runCLI(t, "status", "--name", "team", "--endpoint-url", srv.URL, "--region", mototest.Region, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rep statusReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !rep.Deployed || rep.Endpoints.MLflowVersion != "2.12.2" || rep.Endpoints.TrackingURI != "https://abc.execute-api.us-east-1.amazonaws.com/prod" {
		t.Fatalf("%+v", rep)
	}
	present := 0
	for _, s := range rep.Stacks {
		if s.Exists {
			present++
			if s.Status != "CREATE_COMPLETE" || s.Version != "0.9.0" {
				t.Errorf("stack %+v", s)
			}
		}
	}
	if present != 2 {
		t.Fatalf("%d stacks found, want 2", present)
	}
}
