package deploy_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// Small templates moto can create, update and delete: an S3 bucket with
// an explicit name, and SSM parameters (which need a Name).
const motoBootstrap = `Parameters:
  BucketName: {Type: String}
Resources:
  Assets:
    Type: AWS::S3::Bucket
    Metadata: {mlflowctl: {description: Assets bucket}}
    Properties: {BucketName: !Ref BucketName}
Outputs:
  AssetsBucketName: {Value: !Ref Assets}
`

const motoConsumer = `Parameters:
  Bucket: {Type: String}
Resources:
  Setting:
    Type: AWS::SSM::Parameter
    Metadata: {mlflowctl: {description: Bucket setting}}
    Properties:
      Name: /ml/%s/bucket
      Type: String
      Value: !Ref Bucket
Outputs:
  SettingName: {Value: !Ref Setting}
`

func motoGraph(serverValue string) deploy.Deployment {
	server := strings.Replace(motoConsumer, "%s", "server", 1)
	server = strings.Replace(server, "Value: !Ref Bucket", "Value: "+serverValue, 1)
	imp := []deploy.Import{{Param: "Bucket", FromStack: "bootstrap", Output: "AssetsBucketName"}}
	return deploy.Deployment{Name: "motoml", Stacks: []deploy.Stack{
		{ID: "bootstrap", Template: []byte(motoBootstrap), Params: map[string]string{"BucketName": "motoml-assets"}},
		{ID: "server", Template: []byte(server), DependsOn: []string{"bootstrap"}, Imports: imp},
		{ID: "api", Template: []byte(strings.Replace(motoConsumer, "%s", "api", 1)), DependsOn: []string{"bootstrap"}, Imports: imp},
	}}
}

// counting wraps the real client and counts calls by operation.
type counting struct {
	deploy.CloudFormationAPI
	mu    sync.Mutex
	calls map[string]int
}

func (c *counting) add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
}

func (c *counting) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, o ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	c.add("DescribeStacks")
	return c.CloudFormationAPI.DescribeStacks(ctx, in, o...)
}

func (c *counting) CreateChangeSet(ctx context.Context, in *cloudformation.CreateChangeSetInput, o ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	c.add("CreateChangeSet")
	return c.CloudFormationAPI.CreateChangeSet(ctx, in, o...)
}

func (c *counting) UpdateStack(ctx context.Context, in *cloudformation.UpdateStackInput, o ...func(*cloudformation.Options)) (*cloudformation.UpdateStackOutput, error) {
	c.add("UpdateStack")
	return c.CloudFormationAPI.UpdateStack(ctx, in, o...)
}

func motoClient(t *testing.T) *cloudformation.Client {
	srv := mototest.Start(t)
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion(mototest.Region), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(srv.URL)
	return cloudformation.NewFromConfig(cfg)
}

func fastPolls(o deploy.Options) deploy.Options {
	o.Version = "test"
	o.PollMin, o.PollMax = 20*time.Millisecond, 100*time.Millisecond
	return o
}

// TestMotoGraphLifecycle runs create → outputs to dependents → update →
// no-op → delete over real HTTP. moto 5.2's change sets drop outputs and
// tags, so this uses DirectCalls; TestMotoChangeSets covers change sets.
func TestMotoGraphLifecycle(t *testing.T) {
	cfn := motoClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	e := deploy.New(cfn, fastPolls(deploy.Options{DirectCalls: true}))

	outs, err := e.Deploy(ctx, motoGraph("!Ref Bucket"))
	if err != nil {
		t.Fatal(err)
	}
	if outs["bootstrap"]["AssetsBucketName"] != "motoml-assets" || outs["server"]["SettingName"] != "/ml/server/bucket" {
		t.Fatalf("outputs = %v", outs)
	}
	for _, id := range []string{"server", "api"} {
		st := describe(t, cfn, "motoml-"+id)
		if p := st.Parameters[0]; aws.ToString(p.ParameterKey) != "Bucket" || aws.ToString(p.ParameterValue) != "motoml-assets" {
			t.Errorf("%s got parameter %s=%s, want bootstrap's output", id, aws.ToString(p.ParameterKey), aws.ToString(p.ParameterValue))
		}
	}

	if _, err := e.Deploy(ctx, motoGraph(`!Sub "${Bucket}/v2"`)); err != nil {
		t.Fatal(err)
	}
	if st := describe(t, cfn, "motoml-server"); st.StackStatus != "UPDATE_COMPLETE" {
		t.Errorf("server after update: %s", st.StackStatus)
	}
	if st := describe(t, cfn, "motoml-api"); st.StackStatus != "CREATE_COMPLETE" {
		t.Errorf("api was touched by the server's update: %s", st.StackStatus)
	}

	c := &counting{CloudFormationAPI: cfn, calls: map[string]int{}}
	noop := deploy.New(c, fastPolls(deploy.Options{DirectCalls: true}))
	again, err := noop.Deploy(ctx, motoGraph(`!Sub "${Bucket}/v2"`))
	if err != nil {
		t.Fatal(err)
	}
	if c.calls["DescribeStacks"] != 3 || c.calls["UpdateStack"]+c.calls["CreateChangeSet"] != 0 {
		t.Errorf("no-op calls = %v, want 3 DescribeStacks only", c.calls)
	}
	if again["server"]["SettingName"] != "/ml/server/bucket" {
		t.Errorf("no-op outputs = %v", again)
	}

	if err := e.Delete(ctx, motoGraph("")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"bootstrap", "server", "api"} {
		_, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("motoml-" + id)})
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("%s still there after delete: %v", id, err)
		}
	}
}

// TestMotoChangeSets creates a stack through a change set, re-runs it
// forced (an empty change set is success and is deleted), and plans a
// change.
func TestMotoChangeSets(t *testing.T) {
	cfn := motoClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	d := deploy.Deployment{Name: "cs", Stacks: motoGraph("").Stacks[0:1]}
	e := deploy.New(cfn, fastPolls(deploy.Options{}))
	if _, err := e.Deploy(ctx, d); err != nil {
		t.Fatal(err)
	}
	if st := describe(t, cfn, "cs-bootstrap"); st.StackStatus != "CREATE_COMPLETE" {
		t.Fatalf("status %s", st.StackStatus)
	}
	forced := deploy.New(cfn, fastPolls(deploy.Options{Force: true}))
	var phases []deploy.Phase
	forced.Subscribe(func(ev deploy.Event) {
		if ev.Kind == deploy.KindStack {
			phases = append(phases, ev.Phase)
		}
	})
	if _, err := forced.Deploy(ctx, d); err != nil {
		t.Fatal(err)
	}
	if phases[len(phases)-1] != deploy.PhaseNoChanges {
		t.Errorf("phases = %v", phases)
	}
	list, err := cfn.ListChangeSets(ctx, &cloudformation.ListChangeSetsInput{StackName: aws.String("cs-bootstrap")})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Summaries {
		if s.Status == "FAILED" {
			t.Errorf("the empty change set %s was left behind", aws.ToString(s.ChangeSetName))
		}
	}
	d.Stacks[0].Template = []byte(strings.Replace(motoBootstrap, "Outputs:", `  Marker:
    Type: AWS::SSM::Parameter
    Metadata: {mlflowctl: {description: Deploy marker}}
    Properties: {Name: /cs/marker, Type: String, Value: "1"}
Outputs:`, 1))
	plans, err := e.Plan(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if plans[0].Action != deploy.ActionUpdate || len(plans[0].Changes) != 1 || plans[0].Changes[0].LogicalID != "Marker" ||
		plans[0].Changes[0].Action != "Add" || plans[0].Changes[0].Label != "Deploy marker" {
		t.Errorf("plan = %+v", plans)
	}
	if st := describe(t, cfn, "cs-bootstrap"); st.StackStatus != "CREATE_COMPLETE" {
		t.Errorf("plan changed the stack: %s", st.StackStatus)
	}
	if err := e.Delete(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("cs-bootstrap")}); err == nil {
		t.Error("cs-bootstrap still exists after delete")
	}
}

func describe(t *testing.T, cfn *cloudformation.Client, name string) *types.Stack {
	t.Helper()
	out, err := cfn.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return &out.Stacks[0]
}
