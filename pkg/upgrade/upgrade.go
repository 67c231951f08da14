package upgrade

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/mlflowctl/mlflowctl/pkg/versions"
)

// ECS is the part of the ECS API an upgrade uses.
type ECS interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	UpdateService(ctx context.Context, in *ecs.UpdateServiceInput, opts ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	RunTask(ctx context.Context, in *ecs.RunTaskInput, opts ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// Logs reads the migration task's output (the awslogs driver writes it).
type Logs interface {
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// Deployment names what an upgrade touches.
type Deployment struct {
	Name       string // the deployment (tags)
	Stack      string // the stack that holds the cluster and the service
	DBCluster  string // Aurora cluster identifier
	ECSCluster string
	Service    string
	Container  string // the MLflow container in the service's task definition
}

// Upgrader runs backups, upgrades and restores, reporting each step.
type Upgrader struct {
	RDS  RDS
	ECS  ECS
	Logs Logs
	CFN  CloudFormation // rollback only
	// Scaling, when set, holds the service's autoscaling while it is at 0.
	Scaling Scaling
	// Progress receives one line per step and per migration log line.
	Progress func(line string)
	// Poll is the wait between describes (default 10 s); Timeout bounds each wait (default 30 min).
	Poll    time.Duration
	Timeout time.Duration
	Now     func() time.Time
}

// MigrateCommand is the container command of the one-off task: ECS's
// command is the image's CMD, appended to its ENTRYPOINT
// (["python", "/opt/mlflowctl/entrypoint.py"]), so the task runs
// `entrypoint.py migrate`, the schema upgrade alone.
var MigrateCommand = []string{"migrate"}

// MigrationError is a failed migration; the old version serves again.
type MigrationError struct {
	Snapshot, From, To, Reason string
}

func (e *MigrationError) Error() string {
	return fmt.Sprintf("the MLflow %s → %s database migration failed (%s); MLflow %s is serving again. "+
		"MLflow migrates in one transaction, so PostgreSQL normally keeps the %s schema; if MLflow %s reports a database error, "+
		"restore the pre-upgrade snapshot: %s", e.From, e.To, e.Reason, e.From, e.From, e.From, RollbackCommand(e.Snapshot))
}

// Rollout puts the service on the new version (the caller's stack update).
type Rollout func(ctx context.Context) error

// Step is one named step of an upgrade; Run calls them in order and stops
// at the first error.
type Step struct {
	Name string
	Do   func(ctx context.Context) error
}

// Run is one upgrade as steps. Snapshot is the pre-upgrade snapshot once
// the "snapshot" step is done.
type Run struct {
	Steps    []Step
	Snapshot Backup

	u               *Upgrader
	d               Deployment
	from, to, image string
	rollout         Rollout
	desired         int32
	service         ecstypes.Service
	scaling         held
}

// Step names, in order.
const (
	StepSnapshot  = "snapshot"
	StepScaleDown = "scale-to-zero"
	StepMigrate   = "migrate"
	StepRollout   = "rollout"
	StepScaleBack = "scale-back"
)

// NewRun plans the move of d from MLflow version from to version to with
// image. A move on the same schema is the rollout alone; a schema
// migration is: a tagged snapshot (waited for), the service at zero tasks,
// the migration once in a one-off task with the new image (its log
// streamed), rollout, then the service back at its task count. A move the
// versions table refuses is an error before any step.
func (u *Upgrader) NewRun(d Deployment, from, to, image string, rollout Rollout) (*Run, error) {
	r := &Run{u: u, d: d, from: from, to: to, image: image, rollout: rollout}
	migration := false
	if from != "" { // "" is a first deployment: its tasks create the schema
		m, err := versions.Plan(from, to)
		if err != nil {
			return nil, err
		}
		migration = m.Migration
	}
	if !migration {
		r.Steps = []Step{{StepRollout, func(ctx context.Context) error { return rollout(ctx) }}}
		return r, nil
	}
	r.Steps = []Step{
		{StepSnapshot, r.snapshot}, {StepScaleDown, r.scaleDown}, {StepMigrate, r.migrate},
		{StepRollout, r.rollOut}, {StepScaleBack, r.scaleBack},
	}
	return r, nil
}

// Prepare runs the steps of an upgrade before the rollout (the snapshot,
// the service at zero tasks, the migration once) and returns the steps
// after it (the service back at its task count), for a caller whose
// rollout is a step of its own graph (up: the services stack).
func Prepare(ctx context.Context, u *Upgrader, d Deployment, from, to, image string) (finish func(context.Context) error, err error) {
	r, err := u.NewRun(d, from, to, image, func(context.Context) error { return nil })
	if err != nil {
		return nil, err
	}
	at := slices.IndexFunc(r.Steps, func(s Step) bool { return s.Name == StepRollout })
	for _, s := range r.Steps[:at] {
		if err := s.Do(ctx); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context) error {
		for _, s := range r.Steps[at+1:] {
			if err := s.Do(ctx); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// Run upgrades d from → to (see NewRun) and returns the pre-upgrade
// snapshot. A failed migration puts the old version's tasks back and
// returns a *MigrationError naming the snapshot to restore.
func (u *Upgrader) Run(ctx context.Context, d Deployment, from, to, image string, rollout Rollout) (Backup, error) {
	r, err := u.NewRun(d, from, to, image, rollout)
	if err != nil {
		return Backup{}, err
	}
	for _, s := range r.Steps {
		if err := s.Do(ctx); err != nil {
			return r.Snapshot, err
		}
	}
	return r.Snapshot, nil
}

func (r *Run) snapshot(ctx context.Context) error {
	snap, err := r.u.Snapshot(ctx, r.d, KindPreUpgrade, r.from, r.to)
	r.Snapshot = snap
	return err
}

func (r *Run) scaleDown(ctx context.Context) error {
	svc, err := r.u.service(ctx, r.d)
	if err != nil {
		return err
	}
	r.service, r.desired = svc, svc.DesiredCount
	if r.scaling, err = r.u.holdScaling(ctx, r.d); err != nil {
		return err
	}
	return r.u.scale(ctx, r.d, 0)
}

func (r *Run) migrate(ctx context.Context) error {
	reason := r.u.migrate(ctx, r.d, r.service, r.image)
	if reason == "" {
		r.u.say("migration done: rolling out MLflow %s", r.to)
		return nil
	}
	me := &MigrationError{Snapshot: r.Snapshot.ID, From: r.from, To: r.to, Reason: reason}
	if err := r.scaleBack(ctx); err != nil {
		return fmt.Errorf("%w; and putting MLflow %s back failed: %w", me, r.from, err)
	}
	return me
}

func (r *Run) rollOut(ctx context.Context) error {
	if err := r.rollout(ctx); err != nil {
		return fmt.Errorf("the database is migrated to MLflow %s but the rollout failed: %w; the service %s is at 0 tasks. "+
			"To go back to MLflow %s with the data as it was: %s", r.to, err, r.d.Service, r.from, RollbackCommand(r.Snapshot.ID))
	}
	return nil
}

// scaleBack starts the new version's tasks: the service has no
// DesiredCount in its template (server.yaml), so the rollout leaves it at 0.
func (r *Run) scaleBack(ctx context.Context) error {
	if err := r.u.releaseScaling(ctx, r.d, r.scaling); err != nil {
		return err
	}
	return r.u.scale(ctx, r.d, r.desired)
}

func (u *Upgrader) service(ctx context.Context, d Deployment) (ecstypes.Service, error) {
	out, err := u.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(d.ECSCluster), Services: []string{d.Service}})
	if err != nil {
		return ecstypes.Service{}, fmt.Errorf("describe service %s: %w", d.Service, err)
	}
	if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) != "ACTIVE" {
		return ecstypes.Service{}, fmt.Errorf("service %s is not active in cluster %s", d.Service, d.ECSCluster)
	}
	return out.Services[0], nil
}

// scale sets the service's desired count and waits until that many run:
// at zero no old task writes while the schema changes.
func (u *Upgrader) scale(ctx context.Context, d Deployment, n int32) error {
	u.say("service %s: %d task(s)", d.Service, n)
	if _, err := u.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(d.ECSCluster), Service: aws.String(d.Service), DesiredCount: aws.Int32(n),
	}); err != nil {
		return fmt.Errorf("scale service %s to %d: %w", d.Service, n, err)
	}
	return u.poll(ctx, fmt.Sprintf("service %s to run %d task(s)", d.Service, n), func() (bool, error) {
		s, err := u.service(ctx, d)
		return err == nil && s.RunningCount == n && s.PendingCount == 0, err
	})
}

// migrate runs the one-off task and returns why it failed, or "".
func (u *Upgrader) migrate(ctx context.Context, d Deployment, svc ecstypes.Service, image string) string {
	def, err := u.migrationTaskDefinition(ctx, d, aws.ToString(svc.TaskDefinition), image)
	if err != nil {
		return err.Error()
	}
	run := &ecs.RunTaskInput{
		Cluster: aws.String(d.ECSCluster), TaskDefinition: aws.String(def.arn), Count: aws.Int32(1),
		LaunchType: ecstypes.LaunchTypeFargate, NetworkConfiguration: svc.NetworkConfiguration,
		StartedBy: aws.String("mlflowctl-upgrade"),
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: aws.String(d.Container), Command: MigrateCommand}}},
	}
	out, err := u.ECS.RunTask(ctx, run)
	if err != nil {
		return "run the migration task: " + err.Error()
	}
	if len(out.Tasks) == 0 { // RunTask reports placement failures here, not as an error
		var why []string
		for _, f := range out.Failures {
			why = append(why, aws.ToString(f.Reason)+" "+aws.ToString(f.Detail))
		}
		return "the migration task did not start: " + strings.Join(why, "; ")
	}
	task := aws.ToString(out.Tasks[0].TaskArn)
	u.say("migration task %s started", taskID(task))
	return u.waitTask(ctx, d, task, def)
}

type migrationDef struct{ arn, logGroup, logPrefix string }

// migrationTaskDefinition registers a copy of the service's task definition
// with the new image in the MLflow container (RunTask's overrides cannot
// change an image), in its own family so the service never uses it.
func (u *Upgrader) migrationTaskDefinition(ctx context.Context, d Deployment, current, image string) (migrationDef, error) {
	out, err := u.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(current)})
	if err != nil {
		return migrationDef{}, fmt.Errorf("describe task definition %s: %w", current, err)
	}
	td := out.TaskDefinition
	var def migrationDef
	containers := append([]ecstypes.ContainerDefinition(nil), td.ContainerDefinitions...)
	found := false
	for i := range containers {
		if aws.ToString(containers[i].Name) != d.Container {
			continue
		}
		found = true
		containers[i].Image = aws.String(image)
		containers[i].HealthCheck = nil // a migration serves nothing
		if lc := containers[i].LogConfiguration; lc != nil && lc.LogDriver == ecstypes.LogDriverAwslogs {
			def.logGroup, def.logPrefix = lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"]
		}
	}
	if !found {
		return migrationDef{}, fmt.Errorf("task definition %s has no container %q", current, d.Container)
	}
	reg, err := u.ECS.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(aws.ToString(td.Family) + "-migrate"), ContainerDefinitions: containers,
		Cpu: td.Cpu, Memory: td.Memory, NetworkMode: td.NetworkMode, RequiresCompatibilities: td.RequiresCompatibilities,
		ExecutionRoleArn: td.ExecutionRoleArn, TaskRoleArn: td.TaskRoleArn, RuntimePlatform: td.RuntimePlatform,
	})
	if err != nil {
		return migrationDef{}, fmt.Errorf("register the migration task definition: %w", err)
	}
	def.arn = aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	return def, nil
}

// waitTask streams the task's log until it stops and returns why it
// failed, or "" when the MLflow container exited 0.
func (u *Upgrader) waitTask(ctx context.Context, d Deployment, task string, def migrationDef) string {
	logs := &logTail{group: def.logGroup, stream: def.logPrefix + "/" + d.Container + "/" + taskID(task)}
	var reason string
	err := u.poll(ctx, "migration task "+taskID(task)+" to stop", func() (bool, error) {
		u.tail(ctx, logs)
		out, err := u.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(d.ECSCluster), Tasks: []string{task}})
		if err != nil {
			return false, err
		}
		if len(out.Tasks) == 0 || aws.ToString(out.Tasks[0].LastStatus) != "STOPPED" {
			return false, nil
		}
		u.tail(ctx, logs)
		reason = stoppedReason(out.Tasks[0], d.Container)
		return true, nil
	})
	if err != nil {
		return err.Error()
	}
	return reason
}

func stoppedReason(t ecstypes.Task, container string) string {
	for _, c := range t.Containers {
		if aws.ToString(c.Name) != container {
			continue
		}
		if c.ExitCode != nil && *c.ExitCode == 0 {
			return ""
		}
		if c.ExitCode != nil {
			return fmt.Sprintf("the migration task exited %d", *c.ExitCode)
		}
	}
	return fmt.Sprintf("the migration task stopped: %s %s", t.StopCode, aws.ToString(t.StoppedReason))
}

type logTail struct {
	group, stream, token string
}

// tail prints the log lines written since the last call. A stream that
// does not exist yet (the task is starting) is not an error.
func (u *Upgrader) tail(ctx context.Context, l *logTail) {
	if u.Logs == nil || l.group == "" {
		return
	}
	for {
		in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(l.group), LogStreamName: aws.String(l.stream), StartFromHead: aws.Bool(true)}
		if l.token != "" {
			in.NextToken = aws.String(l.token)
		}
		out, err := u.Logs.GetLogEvents(ctx, in)
		if err != nil {
			return
		}
		for _, e := range out.Events {
			u.say("  migrate | %s", strings.TrimRight(aws.ToString(e.Message), "\n"))
		}
		next := aws.ToString(out.NextForwardToken)
		if next == "" || next == l.token {
			return
		}
		l.token = next
		if len(out.Events) == 0 {
			return
		}
	}
}

func taskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func (u *Upgrader) say(format string, args ...any) {
	if u.Progress != nil {
		u.Progress(fmt.Sprintf(format, args...))
	}
}

func (u *Upgrader) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

var errTimeout = errors.New("timed out")

// poll calls done every Poll until it is true or fails, or Timeout passes.
func (u *Upgrader) poll(ctx context.Context, what string, done func() (bool, error)) error {
	every, limit := u.Poll, u.Timeout
	if every <= 0 {
		every = 10 * time.Second
	}
	if limit <= 0 {
		limit = 30 * time.Minute
	}
	deadline := time.Now().Add(limit)
	for {
		ok, err := done()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: %w after %s", what, errTimeout, limit)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(every):
		}
	}
}
