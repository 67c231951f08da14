package upgrade

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// world is a deployment in moto: an Aurora PostgreSQL Serverless v2
// cluster with its writer, an ECS Fargate service of 2 MLflow 2.12.2 tasks
// logging to CloudWatch Logs.
type world struct {
	scaling *applicationautoscaling.Client
	rds     *rds.Client
	ecs     *ecs.Client
	logs    *cloudwatchlogs.Client
	dep     Deployment
	oldDef  string
	lines   []string
	mu      sync.Mutex
}

const (
	oldImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflowctl-server:2.12.2-amd64-aaaa"
	newImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflowctl-server:3.18.0-amd64-bbbb"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	srv := mototest.Start(t)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(srv.URL)
	ctx := context.Background()
	w := &world{scaling: applicationautoscaling.NewFromConfig(cfg), rds: rds.NewFromConfig(cfg), ecs: ecs.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg),
		dep: Deployment{Name: "team-a", DBCluster: "mlflowctl-team-a-db", ECSCluster: "mlflowctl-team-a", Service: "mlflow", Container: "mlflow"}}
	e := ec2.NewFromConfig(cfg)
	vpc := must(e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")}))
	var subnets []string
	for i, az := range []string{"us-east-1a", "us-east-1b"} {
		s := must(e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i)), AvailabilityZone: aws.String(az)}))
		subnets = append(subnets, aws.ToString(s.Subnet.SubnetId))
	}
	sg := must(e.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("db"), Description: aws.String("db"), VpcId: vpc.Vpc.VpcId}))
	must(w.rds.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: aws.String("mlflowctl-team-a"), DBSubnetGroupDescription: aws.String("db"), SubnetIds: subnets}))
	must(w.rds.CreateDBCluster(ctx, &rds.CreateDBClusterInput{
		DBClusterIdentifier: aws.String(w.dep.DBCluster), Engine: aws.String("aurora-postgresql"), EngineVersion: aws.String("16.4"),
		DBSubnetGroupName: aws.String("mlflowctl-team-a"), VpcSecurityGroupIds: []string{aws.ToString(sg.GroupId)},
		// The product's cluster has ManageMasterUserPassword (server.yaml);
		// moto 5.2.1's RestoreDBClusterFromSnapshot of such a cluster's
		// snapshot fails (KeyError '_master_user_password', observed), so
		// this cluster has a plain master password. Not modelled: which
		// secret the restored cluster's master user has on AWS.
		MasterUsername: aws.String("mlflow"), MasterUserPassword: aws.String("not-a-secret-moto-only"), StorageEncrypted: aws.Bool(true),
		ServerlessV2ScalingConfiguration: &rdstypes.ServerlessV2ScalingConfiguration{MinCapacity: aws.Float64(0), MaxCapacity: aws.Float64(4)},
	}))
	must(w.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(w.dep.DBCluster + "-writer"), DBClusterIdentifier: aws.String(w.dep.DBCluster), DBInstanceClass: aws.String("db.serverless"), Engine: aws.String("aurora-postgresql")}))
	must(w.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/mlflowctl/team-a/server")}))
	must(w.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(w.dep.ECSCluster)}))
	def := must(w.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("mlflowctl-team-a-server"), NetworkMode: ecstypes.NetworkModeAwsvpc, RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu: aws.String("1024"), Memory: aws.String("2048"), ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/exec"), TaskRoleArn: aws.String("arn:aws:iam::123456789012:role/task"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			// moto 5.2.1's RunTask adds up container memory and fails (HTTP 500,
			// TypeError) without it; the product sets memory on the task only.
			Name: aws.String("mlflow"), Image: aws.String(oldImage), Essential: aws.Bool(true), Memory: aws.Int32(2048),
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/mlflowctl/team-a/server", "awslogs-stream-prefix": "server", "awslogs-region": "us-east-1"}},
			HealthCheck: &ecstypes.HealthCheck{Command: []string{"CMD", "python", "/opt/mlflowctl/healthcheck.py"}},
		}},
	}))
	w.oldDef = aws.ToString(def.TaskDefinition.TaskDefinitionArn)
	must(w.ecs.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(w.dep.ECSCluster), ServiceName: aws.String(w.dep.Service), TaskDefinition: aws.String(w.oldDef),
		DesiredCount: aws.Int32(2), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: subnets, SecurityGroups: []string{aws.ToString(sg.GroupId)}}},
	}))
	// moto starts a new service with runningCount 0; UpdateService sets
	// running to desired (test-infra.md §6), as if both tasks came up.
	must(w.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(w.dep.ECSCluster), Service: aws.String(w.dep.Service), DesiredCount: aws.Int32(2)}))
	// The service's scalable target, as server.yaml makes it (MinCapacity
	// the configured task count).
	must(w.scaling.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: astypes.ServiceNamespaceEcs, ResourceId: aws.String(resourceID(w.dep)),
		ScalableDimension: astypes.ScalableDimensionECSServiceDesiredCount, MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(4),
	}))
	return w
}

// target is the service's scalable target in moto.
func (w *world) target(t *testing.T) astypes.ScalableTarget {
	t.Helper()
	out := must(w.scaling.DescribeScalableTargets(context.Background(), &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: astypes.ServiceNamespaceEcs, ResourceIds: []string{resourceID(w.dep)}}))
	if len(out.ScalableTargets) != 1 {
		t.Fatalf("scalable targets: %+v", out.ScalableTargets)
	}
	return out.ScalableTargets[0]
}

// held says whether the target is at minimum 0 with every kind of scaling
// suspended.
func held0(tg astypes.ScalableTarget) bool {
	s := tg.SuspendedState
	return aws.ToInt32(tg.MinCapacity) == 0 && s != nil && aws.ToBool(s.DynamicScalingInSuspended) && aws.ToBool(s.DynamicScalingOutSuspended) && aws.ToBool(s.ScheduledScalingSuspended)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (w *world) upgrader(e ECS) *Upgrader {
	return &Upgrader{RDS: w.rds, ECS: e, Logs: w.logs, Scaling: w.scaling, Poll: 10 * time.Millisecond, Timeout: 20 * time.Second,
		Progress: func(l string) { w.mu.Lock(); w.lines = append(w.lines, l); w.mu.Unlock() },
		Now:      func() time.Time { return time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC) }}
}

func (w *world) service(t *testing.T) ecstypes.Service {
	t.Helper()
	out := must(w.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(w.dep.ECSCluster), Services: []string{w.dep.Service}}))
	return out.Services[0]
}

// fargate stands in for ECS RunTask and DescribeTasks of the one-off
// task; every other ECS call goes to moto. moto 5.2.1 cannot run an awsvpc
// Fargate task: RunTask fails with HTTP 500 (AttributeError: 'NetworkInterface'
// object has no attribute 'private_dns_name', observed), and moto never
// runs or stops a task anyway (test-infra.md §6). The stand-in checks what
// AWS would (the task definition exists, in moto; awsvpc needs subnets),
// records the request, and on the task's second DescribeTasks writes the
// container's log lines into moto's CloudWatch Logs, as the awslogs driver
// would (stream <prefix>/<container>/<task id>), and reports it STOPPED with
// the scripted exit code. It does not model placement failures, image
// pulls, or a task stopped without an exit code.
type fargate struct {
	*ecs.Client
	w          *world
	exit       int32
	log        []string
	run        *ecs.RunTaskInput
	svcAtStart ecstypes.Service
	tgAtStart  astypes.ScalableTarget
	describes  int
}

const fakeTaskArn = "arn:aws:ecs:us-east-1:123456789012:task/mlflowctl-team-a/0123456789abcdef0123456789abcdef"

func (f *fargate) RunTask(ctx context.Context, in *ecs.RunTaskInput, _ ...func(*ecs.Options)) (*ecs.RunTaskOutput, error) {
	if _, err := f.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: in.TaskDefinition}); err != nil {
		return nil, err
	}
	if in.NetworkConfiguration == nil || in.NetworkConfiguration.AwsvpcConfiguration == nil || len(in.NetworkConfiguration.AwsvpcConfiguration.Subnets) == 0 {
		return nil, errors.New("InvalidParameterException: Network Configuration must be provided when networkMode 'awsvpc' is specified")
	}
	f.run = in
	out, err := f.w.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(f.w.dep.ECSCluster), Services: []string{f.w.dep.Service}})
	if err == nil {
		f.svcAtStart = out.Services[0]
	}
	if tg, err := f.w.scaling.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: astypes.ServiceNamespaceEcs, ResourceIds: []string{resourceID(f.w.dep)}}); err == nil && len(tg.ScalableTargets) == 1 {
		f.tgAtStart = tg.ScalableTargets[0]
	}
	return &ecs.RunTaskOutput{Tasks: []ecstypes.Task{{TaskArn: aws.String(fakeTaskArn), LastStatus: aws.String("PROVISIONING")}}}, nil
}

func (f *fargate) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	if len(in.Tasks) != 1 || in.Tasks[0] != fakeTaskArn {
		return &ecs.DescribeTasksOutput{}, nil
	}
	f.describes++
	task := ecstypes.Task{TaskArn: aws.String(fakeTaskArn), LastStatus: aws.String("RUNNING")}
	if f.describes < 2 {
		return &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{task}}, nil
	}
	if f.describes == 2 {
		stream := "server/mlflow/" + taskID(fakeTaskArn)
		must(f.w.logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/mlflowctl/team-a/server"), LogStreamName: aws.String(stream)}))
		var events []logtypes.InputLogEvent
		for i, l := range f.log {
			events = append(events, logtypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(time.Now().UnixMilli() + int64(i))})
		}
		must(f.w.logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/mlflowctl/team-a/server"), LogStreamName: aws.String(stream), LogEvents: events}))
	}
	task.LastStatus = aws.String("STOPPED")
	task.StopCode = ecstypes.TaskStopCodeEssentialContainerExited
	task.Containers = []ecstypes.Container{{Name: aws.String("mlflow"), ExitCode: aws.Int32(f.exit)}}
	return &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{task}}, nil
}

var migrationLog = []string{
	"mlflowctl: upgrading the database schema (mlflow db upgrade)",
	"INFO mlflow.store.db.utils: Updating database tables",
	"mlflowctl: database schema is at MLflow 3.18.0",
}

// TestUpgradeSnapshotsScalesToZeroMigratesOnceThenRollsOut: the order the
// product relies on. The snapshot is made and available (tagged with the
// deployment and both versions) before the service is touched; the
// migration task starts only with the service at zero running tasks (no
// old task writes while the schema changes); it runs the new image with
// the command ["migrate"] (RunTask ContainerOverride.command replaces the
// image CMD, appended to the ENTRYPOINT: ECS API reference,
// ContainerOverride and ContainerDefinition "command ... maps to Cmd");
// its log is streamed; the rollout comes after it exited 0.
func TestUpgradeSnapshotsScalesToZeroMigratesOnceThenRollsOut(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := &fargate{Client: w.ecs, w: w, log: migrationLog}
	rolledOut := false
	snap, err := w.upgrader(f).Run(ctx, w.dep, "2.12.2", "3.18.0", newImage, func(ctx context.Context) error {
		if f.run == nil || f.describes < 2 {
			t.Error("rollout before the migration task stopped")
		}
		if svc := w.service(t); svc.DesiredCount != 0 {
			t.Errorf("rollout with the service at %d tasks, want 0", svc.DesiredCount)
		}
		rolledOut = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rolledOut {
		t.Fatal("no rollout after a successful migration")
	}
	if svc := w.service(t); svc.DesiredCount != 2 {
		t.Fatalf("after the rollout the service wants %d tasks, want its 2 back", svc.DesiredCount)
	}
	// Application Auto Scaling raises a count below the minimum whenever
	// a policy runs (scaling.go): held at 0 during the migration, back at
	// 2 and unsuspended afterwards.
	if !held0(f.tgAtStart) {
		t.Errorf("during the migration the scalable target was %+v, want minimum 0 and scaling suspended", f.tgAtStart)
	}
	if tg := w.target(t); aws.ToInt32(tg.MinCapacity) != 2 || aws.ToInt32(tg.MaxCapacity) != 4 || tg.SuspendedState == nil || aws.ToBool(tg.SuspendedState.DynamicScalingOutSuspended) {
		t.Errorf("after the upgrade the scalable target is %+v %+v, want 2-4 and not suspended", tg, tg.SuspendedState)
	}
	got := must(w.rds.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(snap.ID)}))
	if len(got.DBClusterSnapshots) != 1 || aws.ToString(got.DBClusterSnapshots[0].Status) != "available" {
		t.Fatalf("snapshot %s in moto: %+v", snap.ID, got.DBClusterSnapshots)
	}
	s := got.DBClusterSnapshots[0]
	for k, v := range map[string]string{TagDeployment: "team-a", TagKind: KindPreUpgrade, TagFromVersion: "2.12.2", TagToVersion: "3.18.0"} {
		if tagValue(s.TagList, k) != v {
			t.Errorf("snapshot tag %s = %q, want %q (tags %v)", k, tagValue(s.TagList, k), v, s.TagList)
		}
	}
	if f.run == nil {
		t.Fatal("no migration task was run")
	}
	if f.svcAtStart.DesiredCount != 0 || f.svcAtStart.RunningCount != 0 {
		t.Fatalf("the migration started with the service at desired %d running %d, want 0/0", f.svcAtStart.DesiredCount, f.svcAtStart.RunningCount)
	}
	ov := f.run.Overrides.ContainerOverrides
	if len(ov) != 1 || aws.ToString(ov[0].Name) != "mlflow" || strings.Join(ov[0].Command, " ") != "migrate" {
		t.Fatalf("migration task overrides: %+v", ov)
	}
	if f.run.NetworkConfiguration == nil || len(f.run.NetworkConfiguration.AwsvpcConfiguration.Subnets) != 2 {
		t.Fatalf("the migration task must run in the service's subnets and security group: %+v", f.run.NetworkConfiguration)
	}
	td := must(w.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: f.run.TaskDefinition}))
	c := td.TaskDefinition.ContainerDefinitions[0]
	if aws.ToString(c.Image) != newImage || aws.ToString(td.TaskDefinition.Family) != "mlflowctl-team-a-server-migrate" {
		t.Fatalf("migration task definition: family %s image %s", aws.ToString(td.TaskDefinition.Family), aws.ToString(c.Image))
	}
	if aws.ToString(td.TaskDefinition.TaskRoleArn) != "arn:aws:iam::123456789012:role/task" || aws.ToString(td.TaskDefinition.ExecutionRoleArn) != "arn:aws:iam::123456789012:role/exec" {
		t.Fatal("the migration task must keep the service's roles (the DB secret comes through the execution role)")
	}
	all := strings.Join(w.lines, "\n")
	for _, want := range append([]string{"snapshot " + snap.ID + ": available", "service mlflow: 0 task(s)", "migration task"}, migrationLog...) {
		if !strings.Contains(all, want) {
			t.Errorf("progress lacks %q:\n%s", want, all)
		}
	}
	if strings.Index(all, ": available") > strings.Index(all, "0 task(s)") {
		t.Errorf("the service was scaled down before the snapshot was available:\n%s", all)
	}
}

// TestFailingMigrationLeavesOldVersionServing: the task exits 1; the
// service is back at its 2 tasks on the old task definition, the rollout
// never runs, and the error names the restore command with the snapshot.
func TestFailingMigrationLeavesOldVersionServing(t *testing.T) {
	w := newWorld(t)
	f := &fargate{Client: w.ecs, w: w, exit: 1, log: []string{"sqlalchemy.exc.OperationalError: could not connect"}}
	snap, err := w.upgrader(f).Run(context.Background(), w.dep, "2.12.2", "3.18.0", newImage, func(context.Context) error {
		t.Fatal("rollout after a failed migration")
		return nil
	})
	var me *MigrationError
	if !errors.As(err, &me) {
		t.Fatalf("want a MigrationError, got %v", err)
	}
	for _, want := range []string{"exited 1", "MLflow 2.12.2 is serving again", "mlflowctl rollback --snapshot " + snap.ID} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	svc := w.service(t)
	if svc.DesiredCount != 2 || aws.ToString(svc.TaskDefinition) != w.oldDef {
		t.Fatalf("after the failed migration the service wants %d tasks of %s, want 2 of %s", svc.DesiredCount, aws.ToString(svc.TaskDefinition), w.oldDef)
	}
	if tg := w.target(t); aws.ToInt32(tg.MinCapacity) != 2 {
		t.Fatalf("after the failed migration the scalable target's minimum is %d, want 2 again", aws.ToInt32(tg.MinCapacity))
	}
	if !strings.Contains(strings.Join(w.lines, "\n"), "could not connect") {
		t.Errorf("the failing task's log was not shown:\n%s", strings.Join(w.lines, "\n"))
	}
}

// TestFailingRolloutNamesTheRollbackAndKeepsTheServiceDown: the schema is
// migrated but the stack update failed: the old version cannot be put back
// on the migrated schema, so the service stays at 0 and the error names
// the rollback with the pre-upgrade snapshot.
func TestFailingRolloutNamesTheRollbackAndKeepsTheServiceDown(t *testing.T) {
	w := newWorld(t)
	f := &fargate{Client: w.ecs, w: w, log: migrationLog}
	snap, err := w.upgrader(f).Run(context.Background(), w.dep, "2.12.2", "3.18.0", newImage, func(context.Context) error {
		return errors.New("stack mlflow-server: UPDATE_ROLLBACK_COMPLETE")
	})
	if err == nil || !strings.Contains(err.Error(), "mlflowctl rollback --snapshot "+snap.ID) || snap.ID == "" {
		t.Fatalf("want the rollback command with the snapshot, got %v", err)
	}
	if svc := w.service(t); svc.DesiredCount != 0 {
		t.Fatalf("after a failed rollout the service wants %d tasks, want 0 (old tasks on a migrated schema)", svc.DesiredCount)
	}
}

// TestSameSchemaMoveIsTheRolloutAlone: no snapshot, no scaling, no task,
// also for a first deployment (nothing deployed: from is "").
func TestSameSchemaMoveIsTheRolloutAlone(t *testing.T) {
	for _, from := range []string{"3.18.0", ""} {
		r, err := (&Upgrader{}).NewRun(Deployment{Name: "team-a"}, from, "3.18.0", newImage, func(context.Context) error { return nil })
		if err != nil || len(r.Steps) != 1 || r.Steps[0].Name != StepRollout {
			t.Fatalf("from %q: steps %+v, %v", from, r, err)
		}
		if lines, err := PlanLines("team-a", from, "3.18.0"); lines != nil || err != nil {
			t.Fatalf("from %q: plan %q %v, want nothing", from, lines, err)
		}
	}
}

// TestBackupsListsThisDeploymentsSnapshotsNewestFirst: manual backups and
// pre-upgrade snapshots, not snapshots someone else made of the cluster.
func TestBackupsListsThisDeploymentsSnapshotsNewestFirst(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	u := w.upgrader(w.ecs)
	a := must(u.Snapshot(ctx, w.dep, KindManual, "2.12.2", ""))
	u.Now = func() time.Time { return time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC) }
	b := must(u.Snapshot(ctx, w.dep, KindPreUpgrade, "2.12.2", "3.18.0"))
	must(w.rds.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String(w.dep.DBCluster), DBClusterSnapshotIdentifier: aws.String("by-hand")}))
	list, err := u.Backups(ctx, w.dep)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("backups: %+v", list)
	}
	ids := map[string]Backup{list[0].ID: list[0], list[1].ID: list[1]}
	if ids[a.ID].Kind != KindManual || ids[b.ID].ToVersion != "3.18.0" {
		t.Fatalf("backups: %+v", list)
	}
}

// TestPrepareStopsBeforeTheRolloutAndFinishStartsTheTasks: up's graph
// rolls out in its own step (the services stack), so Prepare leaves the
// service at zero tasks with the schema migrated, and finish brings the
// tasks and the scaling back.
func TestPrepareStopsBeforeTheRolloutAndFinishStartsTheTasks(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := &fargate{Client: w.ecs, w: w, log: migrationLog}
	finish, err := Prepare(ctx, w.upgrader(f), w.dep, "2.12.2", "3.18.0", newImage)
	if err != nil {
		t.Fatal(err)
	}
	if f.run == nil {
		t.Fatal("no migration task was run")
	}
	if svc := w.service(t); svc.DesiredCount != 0 {
		t.Fatalf("after Prepare the service wants %d tasks, want 0 until the rollout", svc.DesiredCount)
	}
	if err := finish(ctx); err != nil {
		t.Fatal(err)
	}
	if svc := w.service(t); svc.DesiredCount != 2 {
		t.Fatalf("after finish the service wants %d tasks, want its 2 back", svc.DesiredCount)
	}
	if tg := w.target(t); aws.ToInt32(tg.MinCapacity) != 2 || tg.SuspendedState == nil || aws.ToBool(tg.SuspendedState.DynamicScalingOutSuspended) {
		t.Errorf("after finish the scalable target is %+v %+v, want minimum 2 and not suspended", tg, tg.SuspendedState)
	}
}
