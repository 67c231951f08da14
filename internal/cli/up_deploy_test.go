package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// putRecorder stands in for S3 PutObject and records the keys.
type putRecorder struct {
	mu   sync.Mutex
	keys []string
}

func (p *putRecorder) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append(p.keys, *in.Bucket+"/"+*in.Key)
	return &s3.PutObjectOutput{}, nil
}

// withFakeAWS is the environment of a test that deploys to the in-memory
// CloudFormation: S3 puts are recorded, and the steps of other packages
// are stand-ins (preflight finds nothing missing, images are "built", the
// API Gateway role, the UI publish and verify succeed).
func withFakeAWS(t *testing.T, fake *cfnfake.Fake, puts *putRecorder) environment {
	t.Helper()
	return environment{
		aws: func() awsClients {
			return awsClients{cfn: cfnfake.Resolving{Fake: fake}, s3: puts, region: "us-east-1"}
		},
		upSteps: func() app.UpSteps {
			return app.UpSteps{
				Preflight: func(context.Context) (func(context.Context) error, error) {
					return func(context.Context) error { return nil }, nil
				},
				BuildImages: func(context.Context, deploy.Outputs, func(string)) (map[string]string, error) {
					return map[string]string{stacks.ParamServerImage: "repo/mlflow-server:abc", stacks.ParamGatewayImage: "repo/mlflow-gateway:abc"}, nil
				},
				APIGatewayLogging: func(context.Context, func(string)) error { return nil },
				PublishUI:         func(context.Context, deploy.Outputs, func(string)) error { return nil },
				Verify:            func(context.Context, deploy.Outputs, func(string)) error { return nil },
			}
		},
		interrupts: func(ctx context.Context, _ io.Writer) (context.Context, <-chan struct{}, func()) {
			return ctx, nil, func() {}
		},
	}
}

// runIn runs mlflowctl with stdin in the current directory.
func runIn(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return runEnv(t, environment{}, stdin, args...)
}

// runEnv runs mlflowctl with stdin in the current directory, in env.
func runEnv(t *testing.T, env environment, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := execute(context.Background(), BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, inTest(t, env))
	return out.String(), errOut.String(), err
}

func TestUpDeploysEveryStackThenIsANoOp(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		fake, puts := cfnfake.New(), &putRecorder{}
		env := withFakeAWS(t, fake, puts)
		out, errOut, err := runEnv(t, env, "", "up", "--yes", "--region", "us-east-1")
		if err != nil {
			t.Fatalf("up: %v\n%s", err, errOut)
		}
		// One pass: the services stack waits for the api stack's UI origin.
		for _, id := range stacks.IDs {
			if st := fake.Status("mlflow-" + id); st != types.StackStatusCreateComplete {
				t.Errorf("stack %s is %s, want %s", id, st, types.StackStatusCreateComplete)
			}
		}
		assertServicesAdmitTheUI(t, fake)
		for _, want := range []string{"Plan:", "create mlflow-server", "UI: prebuilt: the released MLflow 3.18.0 UI from the mlflow wheel"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		for _, want := range []string{"MLflow UI:", "Tracking URI:", "Cognito login:", "Next:", "mlflowctl users add", "MLFLOW_TRACKING_AWS_SIGV4=true", "requests-auth-aws-sigv4", "mlflowctl login && eval \"$(mlflowctl env --token)\"", "--auth-domain https://"} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s", want, out)
			}
		}
		// One pass uploads the content-addressed zip once. (With the real
		// permission matrix the studio template is over the inline limit
		// and goes through the assets bucket too.)
		var zips []string
		for _, k := range puts.keys {
			if strings.Contains(k, "/authorizer/") {
				zips = append(zips, k)
			}
		}
		if len(zips) != 1 || !strings.HasSuffix(zips[0], ".zip") {
			t.Errorf("authorizer uploads %v", puts.keys)
		}
		before := len(fake.Mutations())
		_, errOut, err = runEnv(t, env, "", "up", "--yes", "--region", "us-east-1")
		if err != nil {
			t.Fatalf("second up: %v\n%s", err, errOut)
		}
		// The plan may look through change sets (deleted unexecuted); the
		// deploy itself must change nothing.
		for _, m := range fake.Mutations()[before:] {
			if !strings.HasPrefix(m, "CreateChangeSet") && !strings.HasPrefix(m, "DeleteChangeSet") {
				t.Errorf("an unchanged deployment did %s", m)
			}
		}
		for _, id := range stacks.IDs {
			if !strings.Contains(errOut, "mlflow-"+id+": no-changes") {
				t.Errorf("second deploy: %s not reported unchanged:\n%s", id, errOut)
			}
		}
		// --force looks through a change set even at bootstrap, whose
		// inputs did not change; it still executes nothing.
		before = len(fake.Mutations())
		if _, errOut, err = runEnv(t, env, "", "up", "--yes", "--force", "--region", "us-east-1"); err != nil {
			t.Fatalf("forced up: %v\n%s", err, errOut)
		}
		forced := strings.Join(fake.Mutations()[before:], "\n")
		if strings.Count(forced, "CreateChangeSet mlflow-bootstrap") < 2 || strings.Contains(forced, "Execute") {
			t.Errorf("forced deploy should plan and check bootstrap by change set, executing nothing:\n%s", forced)
		}
	})
}

func TestUpAsksBeforeDeploying(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		fake := cfnfake.New()
		env := withFakeAWS(t, fake, &putRecorder{})
		_, errOut, err := runEnv(t, env, "n\n", "up", "--region", "us-east-1")
		if err != nil || !strings.Contains(errOut, "[y/N]") || !strings.Contains(errOut, "Nothing changed") {
			t.Fatalf("answer no: %v\n%s", err, errOut)
		}
		if n := len(fake.Mutations()); n != 0 {
			t.Fatalf("declined, yet %d changes: %v", n, fake.Mutations())
		}
		_, _, err = runEnv(t, env, "", "up", "--region", "us-east-1")
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "--yes") {
			t.Fatalf("no answer: want exit 2 naming --yes, got %d %v", exitCode(err), err)
		}
		_, errOut, err = runEnv(t, env, "y\n", "up", "--region", "us-east-1", "-o", "json")
		if err != nil {
			t.Fatalf("answer yes: %v\n%s", err, errOut)
		}
		if fake.Status("mlflow-ui") != "CREATE_COMPLETE" {
			t.Fatal("answered yes, not deployed")
		}
	})
}

func TestUpJSONEndsWithTheResult(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		env := withFakeAWS(t, cfnfake.New(), &putRecorder{})
		out, errOut, err := runEnv(t, env, "", "up", "--yes", "--region", "us-east-1", "-o", "json")
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		// stdout is the result document alone (issue 22 item 8).
		var res upResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
		}
		if res.Deployment != "mlflow" || len(res.Plan) != len(stacks.IDs) || res.Endpoints.UI == "" || len(res.Next) == 0 {
			t.Fatalf("result %+v", res)
		}
	})
}

func TestUpFailureNamesTheStack(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		fake := cfnfake.New()
		fake.Script("mlflow-server", cfnfake.Outcome{FailID: "DbCluster", Reason: "The engine version is not available"})
		env := withFakeAWS(t, fake, &putRecorder{})
		_, _, err := runEnv(t, env, "", "up", "--yes", "--region", "us-east-1")
		if err == nil || !strings.Contains(err.Error(), "mlflow-server") || !strings.Contains(err.Error(), "DbCluster") {
			t.Fatalf("want the failed stack and resource named, got %v", err)
		}
		if fake.Status("mlflow-api") != "" {
			t.Fatalf("api deployed after server failed: %s", fake.Status("mlflow-api"))
		}
	})
}

// assertServicesAdmitTheUI: after the first up, the tracking server's
// UiOrigin parameter (services stack) is the origin of the UI the api
// stack outputs, not a wildcard (issue 16, item 12).
func assertServicesAdmitTheUI(t *testing.T, fake *cfnfake.Fake) {
	t.Helper()
	ctx := context.Background()
	api, _ := fake.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("mlflow-api")})
	server, _ := fake.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("mlflow-services")})
	ui, origin := "", ""
	for _, o := range api.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == stacks.OutUIURL {
			ui = aws.ToString(o.OutputValue)
		}
	}
	for _, p := range server.Stacks[0].Parameters {
		if aws.ToString(p.ParameterKey) == stacks.ParamUIOrigin {
			origin = aws.ToString(p.ParameterValue)
		}
	}
	if ui == "" || origin != strings.TrimRight(ui, "/") {
		t.Errorf("services UiOrigin %q, api UiUrl %q", origin, ui)
	}
}
