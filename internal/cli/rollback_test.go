package cli

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/mlflowctl/mlflowctl/pkg/upgrade"
)

// rollbackServerStack stands in for the server stack in moto (moto cannot
// create AWS::RDS::DBCluster from a template, research/test-infra.md
// §2.1): the real template's database parameters and the outputs rollback
// reads; the cluster and the service are made through the RDS and ECS APIs.
const rollbackServerStack = `{
 "Parameters": {
  "DbSnapshotIdentifier": {"Type": "String", "Default": ""},
  "DbClusterSuffix": {"Type": "String", "Default": ""},
  "Version": {"Type": "String", "Default": "3.18.0"}
 },
 "Conditions": {"DbRestored": {"Fn::Not": [{"Fn::Equals": [{"Ref": "DbSnapshotIdentifier"}, ""]}]}},
 "Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/mlflowctl/mlflow/stack"}}},
 "Outputs": {
  "DbClusterIdentifier": {"Value": {"Fn::If": ["DbRestored", {"Fn::Sub": "mlflow-mlflow-r${DbClusterSuffix}"}, "mlflow-mlflow"]}},
  "ClusterName": {"Value": "mlflow-mlflow"},
  "MLflowVersion": {"Value": {"Ref": "Version"}}
 }
}`

type rollbackCLIWorld struct {
	url string
	cfn *cloudformation.Client
	rds *rds.Client
	ecs *ecs.Client
}

func newRollbackCLIWorld(t *testing.T) *rollbackCLIWorld {
	t.Helper()
	srv := startMoto(t)
	ctx := context.Background()
	cfg := srv.AWSConfig()
	w := &rollbackCLIWorld{url: srv.URL, cfn: cloudformation.NewFromConfig(cfg), rds: rds.NewFromConfig(cfg), ecs: ecs.NewFromConfig(cfg)}
	step := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	step(w.cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("mlflow-server"), TemplateBody: aws.String(rollbackServerStack)}))
	// moto 5.2.1 cannot restore the snapshot of a cluster with
	// ManageMasterUserPassword (pkg/upgrade moto_test.go), so this one has
	// a plain password.
	step(w.rds.CreateDBCluster(ctx, &rds.CreateDBClusterInput{DBClusterIdentifier: aws.String("mlflow-mlflow"), Engine: aws.String("aurora-postgresql"),
		MasterUsername: aws.String("mlflow"), MasterUserPassword: aws.String("not-a-secret-moto-only")}))
	step(w.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("mlflow-mlflow")}))
	def, err := w.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("mlflow-mlflow-server"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String(upgrade.Container), Image: aws.String("mlflow:3.18.0"), Memory: aws.Int32(2048)}}})
	step(def, err)
	step(w.ecs.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("mlflow-mlflow"), ServiceName: aws.String(upgrade.Service),
		TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1)}))
	step(w.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("mlflow-mlflow"), Service: aws.String(upgrade.Service), DesiredCount: aws.Int32(1)}))
	return w
}

func (w *rollbackCLIWorld) snapshot(t *testing.T, id, deployment, kind string) {
	t.Helper()
	if _, err := w.rds.CreateDBClusterSnapshot(context.Background(), &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("mlflow-mlflow"), DBClusterSnapshotIdentifier: aws.String(id),
		Tags: []rdstypes.Tag{{Key: aws.String(upgrade.TagDeployment), Value: aws.String(deployment)}, {Key: aws.String(upgrade.TagKind), Value: aws.String(kind)},
			{Key: aws.String(upgrade.TagFromVersion), Value: aws.String("2.12.2")}, {Key: aws.String(upgrade.TagToVersion), Value: aws.String("3.18.0")}}}); err != nil {
		t.Fatal(err)
	}
}

func (w *rollbackCLIWorld) desired(t *testing.T) int32 {
	t.Helper()
	out, err := w.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("mlflow-mlflow"), Services: []string{upgrade.Service}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Services[0].DesiredCount
}

// stackUpdate stands in for the stack update rollback makes (up for the
// snapshot's version, which needs CodeBuild, ECR and a DBCluster from a
// template, none of which moto runs): it restores the snapshot through the
// RDS API as CloudFormation's DBCluster handler would and updates the
// stand-in stack with the restore's parameters. Not modelled: the other
// stacks, the images, the new task definition.
func (w *rollbackCLIWorld) stackUpdate(seen *upgrade.Target) upgrade.Redeploy {
	return func(ctx context.Context, tg upgrade.Target) error {
		*seen = tg
		if _, err := w.rds.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: aws.String(tg.Cluster),
			SnapshotIdentifier: aws.String(tg.Snapshot), Engine: aws.String("aurora-postgresql")}); err != nil {
			return err
		}
		params := []cfntypes.Parameter{{ParameterKey: aws.String("Version"), ParameterValue: aws.String(tg.Version)}}
		for k, v := range tg.Params() {
			params = append(params, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
		}
		_, err := w.cfn.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String("mlflow-server"), TemplateBody: aws.String(rollbackServerStack), Parameters: params})
		return err
	}
}

func withRedeploy(r upgrade.Redeploy) environment { return environment{redeploy: r} }

// TestRollbackBadInputIsExit2AndChangesNothing: nothing to roll back to,
// an unknown snapshot, another deployment's snapshot, and no --yes without
// a terminal are exit 2 naming the fix, with the service and snapshots as
// they were.
func TestRollbackBadInputIsExit2AndChangesNothing(t *testing.T) {
	t.Parallel()
	w := newRollbackCLIWorld(t)
	env := withRedeploy(func(context.Context, upgrade.Target) error { t.Fatal("the stack was updated"); return nil })
	w.snapshot(t, "manual-one", "mlflow", upgrade.KindManual)
	w.snapshot(t, "team-b-pre", "team-b", upgrade.KindPreUpgrade)
	count := func() int {
		out, err := w.rds.DescribeDBClusterSnapshots(context.Background(), &rds.DescribeDBClusterSnapshotsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.DBClusterSnapshots)
	}
	before := count()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--yes"}, "nothing to roll back to"},
		{[]string{"--yes", "--snapshot", "no-such"}, `no snapshot "no-such"`},
		{[]string{"--yes", "--snapshot", "team-b-pre"}, "not made by mlflowctl for deployment mlflow"},
	} {
		_, _, err := runCLIEnv(t, env, append([]string{"rollback", "--endpoint-url", w.url}, c.args...)...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "--snapshot") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("rollback %v: want exit 2 on --snapshot saying %q, got %d: %v", c.args, c.want, exitCode(err), err)
		}
	}
	w.snapshot(t, "pre-one", "mlflow", upgrade.KindPreUpgrade)
	_, errOut, err := runCLIEnv(t, env, "rollback", "--endpoint-url", w.url)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--yes") || !strings.Contains(errOut, "MLflow 3.18.0 → 2.12.2") {
		t.Errorf("rollback without --yes and no terminal: want the plan, then exit 2 naming --yes; got %d: %v\n%s", exitCode(err), err, errOut)
	}
	if after := count(); after != before+1 || w.desired(t) != 1 {
		t.Fatalf("a refused rollback changed something: %d snapshots (made 1 in the test, had %d), service at %d", after, before, w.desired(t))
	}
}

// TestRollbackRestoresTheNewestPreUpgradeSnapshot: rollback --yes -o json
// restores the pre-upgrade snapshot through the stack, reports the
// restored cluster and the pre-rollback snapshot, and the service is back
// at its task.
func TestRollbackRestoresTheNewestPreUpgradeSnapshot(t *testing.T) {
	t.Parallel()
	w := newRollbackCLIWorld(t)
	w.snapshot(t, "pre-one", "mlflow", upgrade.KindPreUpgrade)
	var seen upgrade.Target
	env := withRedeploy(w.stackUpdate(&seen))
	out, errOut, err := runCLIEnv(t, env, "rollback", "--endpoint-url", w.url, "--yes", "-o", "json")
	if err != nil {
		t.Fatalf("rollback: %v\n%s", err, errOut)
	}
	var res rollbackResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Restored.Snapshot != "pre-one" || res.Restored.Version != "2.12.2" ||
		!strings.HasPrefix(res.Restored.Cluster, "mlflow-mlflow-r") || res.From != "3.18.0" || !strings.Contains(res.PreRollback, "pre-rollback") {
		t.Fatalf("rollback -o json: %v %+v\n%s", err, res, out)
	}
	if seen != res.Restored && seen.Snapshot != "pre-one" {
		t.Fatalf("the stack update got %+v", seen)
	}
	if w.desired(t) != 1 {
		t.Fatalf("after the rollback the service wants %d tasks, want 1", w.desired(t))
	}
	for _, want := range []string{"Roll back deployment mlflow", "pre-rollback", "rolled back"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("progress lacks %q:\n%s", want, errOut)
		}
	}
}

// TestFailingRollbackIsExit1WithTheCurrentDatabaseServing: the stack
// update fails after the pre-rollback snapshot (a change): exit 1, not 2,
// the service back at its task, the error naming the current database.
func TestFailingRollbackIsExit1WithTheCurrentDatabaseServing(t *testing.T) {
	t.Parallel()
	w := newRollbackCLIWorld(t)
	w.snapshot(t, "pre-one", "mlflow", upgrade.KindPreUpgrade)
	env := withRedeploy(func(context.Context, upgrade.Target) error {
		return errors.New("stack mlflow-server: UPDATE_ROLLBACK_COMPLETE")
	})
	_, _, err := runCLIEnv(t, env, "rollback", "--endpoint-url", w.url, "--yes", "--snapshot", "pre-one")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "cluster mlflow-mlflow") || !strings.Contains(err.Error(), "serves MLflow 3.18.0 again") {
		t.Fatalf("want exit 1 naming the current database, got %d: %v", exitCode(err), err)
	}
	if w.desired(t) != 1 {
		t.Fatalf("after the failed rollback the service wants %d tasks, want 1", w.desired(t))
	}
}
