package tui

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mlflowctl/mlflowctl/internal/golden"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

const (
	demoBootstrap = `Parameters:
  Name: {Type: String}
Resources:
  Assets:
    Type: AWS::S3::Bucket
    Metadata: {mlflowctl: {description: Assets bucket}}
  Repo:
    Type: AWS::ECR::Repository
    Metadata: {mlflowctl: {description: Server image repository}}
Outputs:
  AssetsBucketName: {Value: !Ref Name}
`
	demoServer = `Parameters:
  Bucket: {Type: String}
Resources:
  Db:
    Type: AWS::RDS::DBCluster
    Metadata: {mlflowctl: {description: Aurora database}}
  Cluster:
    Type: AWS::ECS::Cluster
    Metadata: {mlflowctl: {description: ECS cluster}}
  Service:
    Type: AWS::ECS::Service
    Metadata: {mlflowctl: {description: MLflow tracking service}}
`
	demoAPI = `Parameters:
  Bucket: {Type: String}
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Metadata: {mlflowctl: {description: REST API}}
  Stage:
    Type: AWS::ApiGateway::Stage
`
)

// TestDemoThreeStacksOneFailure runs the real engine against the
// in-memory CloudFormation: bootstrap → {server, api}, where the server's
// database fails. It prints the terminal view (go test -v -run Demo) and
// the plain lines, and keeps the view as a golden file.
func TestDemoThreeStacksOneFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Script("ml-server", cfnfake.Outcome{FailID: "Db", Reason: "DBClusterQuotaExceeded: the account already has 40 DB clusters, the limit in us-east-1"})
		f.SetDuration("ml-server", 40*time.Second)
		f.SetDuration("ml-api", 25*time.Second)
		imp := []deploy.Import{{Param: "Bucket", FromStack: "bootstrap", Output: "AssetsBucketName"}}
		d := deploy.Deployment{Name: "ml", Stacks: []deploy.Stack{
			{ID: "bootstrap", Template: []byte(demoBootstrap), Params: map[string]string{"Name": "ml-assets"}},
			{ID: "server", Template: []byte(demoServer), DependsOn: []string{"bootstrap"}, Imports: imp},
			{ID: "api", Template: []byte(demoAPI), DependsOn: []string{"bootstrap"}, Imports: imp},
		}}
		e := deploy.New(f, deploy.Options{Version: "demo"})
		var mu sync.Mutex
		m := NewModel(time.Now, false)
		var plain bytes.Buffer
		p := NewPlain(&plain)
		e.Subscribe(func(ev deploy.Event) {
			mu.Lock()
			defer mu.Unlock()
			next, _ := m.Update(EventMsg(ev))
			m = next.(Model)
			p.Handle(ev)
		})
		_, err := e.Deploy(context.Background(), d)
		var failed *deploy.StackFailedError
		if !errors.As(err, &failed) || failed.LogicalID != "Db" {
			t.Fatalf("err = %v", err)
		}
		view := m.View().Content
		t.Logf("terminal view:\n%s", view)
		t.Logf("plain lines:\n%s", plain.String())
		t.Logf("error:\n%v", err)
		golden.Assert(t, golden.Path(t), []byte(view))
	})
}
