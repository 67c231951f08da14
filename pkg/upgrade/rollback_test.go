package upgrade

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// serverStack stands in for the server stack in moto, which cannot create
// AWS::RDS::DBCluster from a template (research/test-infra.md §2.1): it
// has the real template's two database parameters and the outputs a
// rollback reads; its cluster is the one made through the RDS API.
const serverStack = `{
 "Parameters": {
  "DbSnapshotIdentifier": {"Type": "String", "Default": ""},
  "DbClusterSuffix": {"Type": "String", "Default": ""},
  "Version": {"Type": "String", "Default": "3.18.0"}
 },
 "Conditions": {"DbRestored": {"Fn::Not": [{"Fn::Equals": [{"Ref": "DbSnapshotIdentifier"}, ""]}]}},
 "Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/mlflowctl/team-a/stack"}}},
 "Outputs": {
  "DbClusterIdentifier": {"Value": {"Fn::If": ["DbRestored", {"Fn::Sub": "team-a-mlflow-r${DbClusterSuffix}"}, "mlflowctl-team-a-db"]}},
  "MLflowVersion": {"Value": {"Ref": "Version"}}
 }
}`

// policies records the stack policies set, in order, and passes the call
// on to moto (which checks the stack exists but does not enforce a policy
// on updates: not modelled).
type policies struct {
	*cloudformation.Client
	set []string
}

func (p *policies) SetStackPolicy(ctx context.Context, in *cloudformation.SetStackPolicyInput, opts ...func(*cloudformation.Options)) (*cloudformation.SetStackPolicyOutput, error) {
	p.set = append(p.set, aws.ToString(in.StackPolicyBody))
	return p.Client.SetStackPolicy(ctx, in, opts...)
}

type rollbackWorld struct {
	*world
	cfn *cloudformation.Client
	pol *policies
	u   *Upgrader
}

func newRollbackWorld(t *testing.T) *rollbackWorld {
	t.Helper()
	w := newWorld(t)
	w.dep.Stack = "team-a-server"
	cfg := w.rds.Options()
	cfn := cloudformation.New(cloudformation.Options{Region: cfg.Region, Credentials: cfg.Credentials, BaseEndpoint: cfg.BaseEndpoint, RetryMaxAttempts: 1})
	must(cfn.CreateStack(context.Background(), &cloudformation.CreateStackInput{StackName: aws.String(w.dep.Stack), TemplateBody: aws.String(serverStack)}))
	r := &rollbackWorld{world: w, cfn: cfn, pol: &policies{Client: cfn}}
	r.u = w.upgrader(w.ecs)
	r.u.CFN = r.pol
	return r
}

// cloudFormationRestore stands in for the server stack update a rollback
// makes (mlflowctl's up for the snapshot's version with
// Target.Params()). It does to moto what CloudFormation's AWS::RDS::DBCluster
// handler does for a new SnapshotIdentifier: RestoreDBClusterFromSnapshot
// into the new identifier with the template's network settings, then the
// writer (AWS::RDS::DBInstance), and the stack update itself (parameters
// and outputs). Not modelled: the handler's ModifyDBCluster after the
// restore (ManageMasterUserPassword), the replaced cluster's deletion
// under UpdateReplacePolicy, the ECS service's new task definition.
func (r *rollbackWorld) cloudFormationRestore(t *testing.T) Redeploy {
	return func(ctx context.Context, tg Target) error {
		cur := must(r.rds.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(r.dep.DBCluster)})).DBClusters[0]
		var sgs []string
		for _, g := range cur.VpcSecurityGroups {
			sgs = append(sgs, aws.ToString(g.VpcSecurityGroupId))
		}
		if _, err := r.rds.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{
			DBClusterIdentifier: aws.String(tg.Cluster), SnapshotIdentifier: aws.String(tg.Snapshot), Engine: aws.String("aurora-postgresql"),
			DBSubnetGroupName: cur.DBSubnetGroup, VpcSecurityGroupIds: sgs,
		}); err != nil {
			return err
		}
		must(r.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(tg.Cluster + "-writer"), DBClusterIdentifier: aws.String(tg.Cluster),
			DBInstanceClass: aws.String("db.serverless"), Engine: aws.String("aurora-postgresql")}))
		var params []cfntypes.Parameter
		for k, v := range tg.Params() {
			params = append(params, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
		}
		params = append(params, cfntypes.Parameter{ParameterKey: aws.String("Version"), ParameterValue: aws.String(tg.Version)})
		_, err := r.cfn.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String(r.dep.Stack), TemplateBody: aws.String(serverStack), Parameters: params})
		return err
	}
}

func (r *rollbackWorld) preUpgrade(t *testing.T, at time.Time) Backup {
	t.Helper()
	r.u.Now = func() time.Time { return at }
	b := must(r.u.Snapshot(context.Background(), r.dep, KindPreUpgrade, "2.12.2", "3.18.0"))
	r.u.Now = func() time.Time { return at.Add(time.Hour) }
	return b
}

func (r *rollbackWorld) outputs(t *testing.T) map[string]string {
	t.Helper()
	st := must(r.cfn.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(r.dep.Stack)})).Stacks[0]
	out := map[string]string{}
	for _, o := range st.Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return out
}

// TestRollbackRestoresThroughTheStackAndRunsThePreviousVersion: the
// default snapshot is the newest pre-upgrade one; the service is at zero
// and a pre-rollback snapshot of the current database is available before
// the stack changes; the update runs with the cluster's replacement
// allowed and the protecting policy is back afterwards; the stack then
// names the restored cluster and the snapshot's MLflow version, the
// service is back at its 2 tasks, and RestoreParams gives the parameters a
// later up must pass again.
func TestRollbackRestoresThroughTheStackAndRunsThePreviousVersion(t *testing.T) {
	r := newRollbackWorld(t)
	ctx := context.Background()
	r.preUpgrade(t, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	newest := r.preUpgrade(t, time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	r.u.Now = func() time.Time { return time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC) }
	must(r.u.Snapshot(ctx, r.dep, KindManual, "3.18.0", "")) // newer, but not an upgrade's

	p, err := r.u.PlanRollback(ctx, r.dep, "3.18.0", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Snapshot.ID != newest.ID || p.Target.Version != "2.12.2" || p.Target.Cluster != "team-a-mlflow-r20261204120000" {
		t.Fatalf("plan: %+v", p)
	}
	all := strings.Join(p.Lines, "\n")
	for _, want := range []string{"MLflow 3.18.0 → 2.12.2", newest.ID, "0 tasks", "mlflowctl-team-a-pre-rollback-YYYYMMDD-HHMMSS", "team-a-mlflow-r20261204120000", "mlflowVersion: 2.12.2"} {
		if !strings.Contains(all, want) {
			t.Errorf("plan lacks %q:\n%s", want, all)
		}
	}
	var atRedeploy []Backup
	keep, err := r.u.Rollback(ctx, r.dep, p, func(ctx context.Context, tg Target) error {
		if svc := r.service(t); svc.DesiredCount != 0 {
			t.Errorf("the stack update ran with the service at %d tasks, want 0", svc.DesiredCount)
		}
		if len(r.pol.set) != 1 || r.pol.set[0] != allowPolicy {
			t.Errorf("the stack update ran under policies %v, want the replacement allowed", r.pol.set)
		}
		atRedeploy = must(r.u.Backups(ctx, r.dep))
		return r.cloudFormationRestore(t)(ctx, tg)
	})
	if err != nil {
		t.Fatal(err)
	}
	if keep.Kind != KindPreRollback || keep.FromVersion != "3.18.0" || keep.Status != "available" {
		t.Fatalf("pre-rollback snapshot: %+v", keep)
	}
	found := false
	for _, b := range atRedeploy {
		found = found || (b.ID == keep.ID && b.Status == "available")
	}
	if !found {
		t.Fatalf("the pre-rollback snapshot %s was not available when the stack changed: %+v", keep.ID, atRedeploy)
	}
	if len(r.pol.set) != 2 || r.pol.set[1] != protectPolicy {
		t.Fatalf("stack policies set: %v, want allow then protect", r.pol.set)
	}
	if out := r.outputs(t); out["DbClusterIdentifier"] != p.Target.Cluster || out["MLflowVersion"] != "2.12.2" {
		t.Fatalf("server stack outputs after the rollback: %v", out)
	}
	if svc := r.service(t); svc.DesiredCount != 2 {
		t.Fatalf("after the rollback the service wants %d tasks, want its 2 back", svc.DesiredCount)
	}
	params, err := RestoreParams(ctx, r.cfn, r.dep.Stack)
	if err != nil || params[ParamDBSnapshot] != newest.ID || params[ParamDBClusterSuffix] != "20261204120000" {
		t.Fatalf("RestoreParams after the rollback: %v %v", params, err)
	}
	// Again: the newest pre-upgrade snapshot is the database already.
	var in *InputError
	if _, err := r.u.PlanRollback(ctx, r.dep, "2.12.2", ""); !errors.As(err, &in) || !strings.Contains(err.Error(), "already is snapshot "+newest.ID) {
		t.Fatalf("a second rollback to the same snapshot: want an InputError, got %v", err)
	}
}

// TestRollbackBadInputChangesNothing: an unknown snapshot, one mlflowctl
// did not make for this deployment, one of an MLflow version mlflowctl
// cannot run, and no pre-upgrade snapshot at all are *InputError on
// --snapshot (exit 2), found before any change.
func TestRollbackBadInputChangesNothing(t *testing.T) {
	r := newRollbackWorld(t)
	ctx := context.Background()
	must(r.rds.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String(r.dep.DBCluster), DBClusterSnapshotIdentifier: aws.String("by-hand")}))
	must(r.rds.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String(r.dep.DBCluster), DBClusterSnapshotIdentifier: aws.String("team-b-s"),
		Tags: []rdstypes.Tag{{Key: aws.String(TagDeployment), Value: aws.String("team-b")}, {Key: aws.String(TagKind), Value: aws.String(KindPreUpgrade)}, {Key: aws.String(TagFromVersion), Value: aws.String("2.12.2")}}}))
	must(r.rds.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String(r.dep.DBCluster), DBClusterSnapshotIdentifier: aws.String("old-mlflow"),
		Tags: []rdstypes.Tag{{Key: aws.String(TagDeployment), Value: aws.String("team-a")}, {Key: aws.String(TagKind), Value: aws.String(KindManual)}, {Key: aws.String(TagFromVersion), Value: aws.String("1.30.0")}}}))
	before := len(must(r.rds.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{})).DBClusterSnapshots)
	for snap, want := range map[string]string{
		"no-such-snapshot": "no snapshot", "by-hand": "not made by mlflowctl for deployment team-a", "team-b-s": "not made by mlflowctl for deployment team-a",
		"old-mlflow": "cannot run", "": "nothing to roll back to",
	} {
		_, err := r.u.PlanRollback(ctx, r.dep, "3.18.0", snap)
		var in *InputError
		if !errors.As(err, &in) || in.Field != "--snapshot" || !strings.Contains(err.Error(), want) {
			t.Errorf("--snapshot %q: want an InputError on --snapshot saying %q, got %v", snap, want, err)
		}
	}
	if svc := r.service(t); svc.DesiredCount != 2 || len(r.pol.set) != 0 {
		t.Fatalf("a refused rollback changed the service (%d tasks) or the stack policy (%v)", svc.DesiredCount, r.pol.set)
	}
	if after := len(must(r.rds.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{})).DBClusterSnapshots); after != before {
		t.Fatalf("a refused rollback made snapshots: %d → %d", before, after)
	}
}

// TestFailingRestoreLeavesTheCurrentDatabaseServing: the stack update
// fails (CloudFormation rolls the stack back, so the current cluster
// stays: a replacement creates the new resource first and deletes the old
// one only when the update completes, "Understand update behaviors of
// stack resources", CloudFormation User Guide). The service is back at its
// tasks, the stack still names the current cluster, the protecting policy
// is back, and the error names the current database and the pre-rollback
// snapshot.
func TestFailingRestoreLeavesTheCurrentDatabaseServing(t *testing.T) {
	r := newRollbackWorld(t)
	ctx := context.Background()
	snap := r.preUpgrade(t, time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	p := must(r.u.PlanRollback(ctx, r.dep, "3.18.0", snap.ID))
	keep, err := r.u.Rollback(ctx, r.dep, p, func(context.Context, Target) error {
		return errors.New("stack team-a-server: UPDATE_ROLLBACK_COMPLETE (DbCluster: CREATE_FAILED)")
	})
	if err == nil {
		t.Fatal("a failed restore reported success")
	}
	for _, want := range []string{"the restore failed", "UPDATE_ROLLBACK_COMPLETE", "cluster mlflowctl-team-a-db", keep.ID, "serves MLflow 3.18.0 again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if svc := r.service(t); svc.DesiredCount != 2 || aws.ToString(svc.TaskDefinition) != r.oldDef {
		t.Fatalf("after a failed restore the service wants %d tasks of %s, want 2 of %s", svc.DesiredCount, aws.ToString(svc.TaskDefinition), r.oldDef)
	}
	if out := r.outputs(t); out["DbClusterIdentifier"] != r.dep.DBCluster {
		t.Fatalf("after a failed restore the stack names cluster %s", out["DbClusterIdentifier"])
	}
	if _, err := r.rds.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(r.dep.DBCluster)}); err != nil {
		t.Fatalf("the current cluster: %v", err)
	}
	if len(r.pol.set) != 2 || r.pol.set[1] != protectPolicy {
		t.Fatalf("stack policies after a failed restore: %v, want the protecting one back", r.pol.set)
	}
}

// TestRollbackChecksTheStackNamesTheRestoredCluster: an update that left
// the stack on the current cluster is not reported as a rollback.
func TestRollbackChecksTheStackNamesTheRestoredCluster(t *testing.T) {
	r := newRollbackWorld(t)
	ctx := context.Background()
	snap := r.preUpgrade(t, time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	p := must(r.u.PlanRollback(ctx, r.dep, "3.18.0", snap.ID))
	_, err := r.u.Rollback(ctx, r.dep, p, func(context.Context, Target) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "want "+p.Target.Cluster) {
		t.Fatalf("want an error naming the cluster the stack should have, got %v", err)
	}
}

// TestRestoreParamsOfANewDeploymentAreNone: no stack yet, nothing to keep.
func TestRestoreParamsOfANewDeploymentAreNone(t *testing.T) {
	r := newRollbackWorld(t)
	params, err := RestoreParams(context.Background(), r.cfn, "team-z-server")
	if err != nil || params != nil {
		t.Fatalf("%v %v", params, err)
	}
	params, err = RestoreParams(context.Background(), r.cfn, r.dep.Stack)
	if err != nil || params[ParamDBSnapshot] != "" || len(params) != 2 {
		t.Fatalf("a stack never rolled back: %v %v", params, err)
	}
}
