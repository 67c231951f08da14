package authz

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// TestApproverRegistersWithStockClient (issue 17, item 5): on every
// supported MLflow version, mlflow.register_model from the real Python
// client, as a model approver, through a proxy that enforces the
// approvers' generated IAM resources (what API Gateway's AWS_IAM does with
// the role's policy; the proxy is a stand-in for API Gateway's request
// authorization only, not SigV4), against a real `mlflow server`
// (sqlite). On 3.x the client tags the logged model after creating the
// version (PATCH logged-models/{id}/tags), which approvers were refused.
// Slow (a real server per version, about two minutes on 2 cores): skipped
// with -short.
func TestApproverRegistersWithStockClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real mlflow server per version")
	}
	policy, err := filepath.Abs(filepath.Join("..", "..", "templates", "authorizer", "testdata", "iam-resources.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			py := mlflowVenv(t, v)
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, py, "-W", "ignore", filepath.Join("testdata", "register_through_proxy.py"), policy, "model-approvers")
			cmd.Env = append(os.Environ(), "MLFLOW_TRACKING_URI=", "PYTHONDONTWRITEBYTECODE=1")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("register script: %v\n%s", err, out)
			}
			_, last, ok := strings.Cut(string(out), "\nRESULT ")
			if !ok {
				t.Fatalf("no result line in\n%s", out)
			}
			var res struct {
				Registered bool
				Error      string
				Calls      [][3]any
			}
			if err := json.Unmarshal([]byte(last), &res); err != nil {
				t.Fatalf("result: %v\n%s", err, last)
			}
			for _, c := range res.Calls {
				t.Logf("%v %v allowed=%v", c[0], c[1], c[2])
				if c[2] == false {
					t.Errorf("the approver's client was refused %v %v", c[0], c[1])
				}
			}
			if !res.Registered {
				t.Errorf("mlflow %s: register_model as an approver failed: %s", v, res.Error)
			}
		})
	}
}
