package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
)

// TestBackupsListJSONWithoutSnapshotsIsAnEmptyList (issue 22 item 13,
// walk-through F22: `null` where a list belongs): `backups list -o json`
// for a deployment whose cluster has no snapshot yet printed `null`, so
// `jq '.[]'` failed; json_null_test.go did not cover backups.
func TestBackupsListJSONWithoutSnapshotsIsAnEmptyList(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	ctx := context.Background()
	cfg := srv.AWSConfig()
	stack := strings.ReplaceAll(backupStack, "mlflow", "nosnaps")
	if _, err := cloudformation.NewFromConfig(cfg).CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("nosnaps-server"), TemplateBody: aws.String(stack)}); err != nil {
		t.Fatal(err)
	}
	if _, err := rds.NewFromConfig(cfg).CreateDBCluster(ctx, &rds.CreateDBClusterInput{DBClusterIdentifier: aws.String("nosnaps-db"), Engine: aws.String("aurora-postgresql"),
		MasterUsername: aws.String("mlflow"), ManageMasterUserPassword: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	args := []string{"backups", "list", "--name", "nosnaps", "--endpoint-url", srv.URL, "--region", mototest.Region, "-o", "json"}
	var out, errOut bytes.Buffer
	if err := execute(ctx, BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, inTest(t, environment{})); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut.String())
	}
	if strings.TrimSpace(out.String()) != "[]" {
		t.Fatalf("backups list -o json of a cluster without snapshots = %q, want []", out.String())
	}
	requireOneDocumentWithoutNull(t, args, out.String())
}
