package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/mlflowctl/mlflowctl/pkg/upgrade"
)

// A server stack in moto with the outputs backup reads (moto cannot create
// AWS::RDS::DBCluster from a template, test-infra.md §2.1, so the cluster
// is made through the RDS API and the stack only carries its name).
const backupStack = `Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: /mlflowctl/mlflow/server}
Outputs:
  DbClusterIdentifier: {Value: mlflow-db}
  MLflowVersion: {Value: "2.12.2"}
`

// TestBackupThenBackupsListAgainstMoto: backup snapshots the cluster the
// server stack names, tagged with the deployment and its MLflow version;
// backups list -o json shows it.
func TestBackupThenBackupsListAgainstMoto(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	ctx := context.Background()
	cfg := srv.AWSConfig()
	if _, err := cloudformation.NewFromConfig(cfg).CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("mlflow-server"), TemplateBody: aws.String(backupStack)}); err != nil {
		t.Fatal(err)
	}
	if _, err := rds.NewFromConfig(cfg).CreateDBCluster(ctx, &rds.CreateDBClusterInput{DBClusterIdentifier: aws.String("mlflow-db"), Engine: aws.String("aurora-postgresql"),
		MasterUsername: aws.String("mlflow"), ManageMasterUserPassword: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCLI(t, "backup", "--endpoint-url", srv.URL, "-o", "json")
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut)
	}
	var b upgrade.Backup
	if err := json.Unmarshal([]byte(out), &b); err != nil || b.Status != "available" || b.FromVersion != "2.12.2" || b.Kind != upgrade.KindManual || b.Cluster != "mlflow-db" {
		t.Fatalf("backup -o json: %v %+v\n%s", err, b, out)
	}
	out, errOut, err = runCLI(t, "backups", "list", "--endpoint-url", srv.URL, "-o", "json")
	if err != nil {
		t.Fatalf("backups list: %v\n%s", err, errOut)
	}
	var list []upgrade.Backup
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("backups list -o json: %v %+v\n%s", err, list, out)
	}
	text, _, err := runCLI(t, "backups", "list", "--endpoint-url", srv.URL)
	if err != nil || !strings.Contains(text, b.ID) || !strings.Contains(text, "MLflow 2.12.2") {
		t.Fatalf("backups list: %v\n%s", err, text)
	}
}

// TestBackupWithoutADeploymentIsAUsageError: exit 2, nothing made.
func TestBackupWithoutADeploymentIsAUsageError(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	_, _, err := runCLI(t, "backup", "--endpoint-url", srv.URL)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "mlflowctl up") {
		t.Fatalf("want exit 2 naming mlflowctl up, got %d: %v", exitCode(err), err)
	}
}
