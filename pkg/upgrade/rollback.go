package upgrade

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"

	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/versions"
)

// CloudFormation is the part of the CloudFormation API a rollback uses.
type CloudFormation interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	SetStackPolicy(ctx context.Context, in *cloudformation.SetStackPolicyInput, opts ...func(*cloudformation.Options)) (*cloudformation.SetStackPolicyOutput, error)
}

// Parameters of the server stack's database (templates/cfn/server.yaml).
// Both are "" until a rollback; from then on every update of the stack
// must pass the same values (see RestoreParams).
const (
	ParamDBSnapshot      = "DbSnapshotIdentifier"
	ParamDBClusterSuffix = "DbClusterSuffix"
	// DBClusterLogicalID is the cluster's logical ID in the server stack.
	DBClusterLogicalID = "DbCluster"
	KindPreRollback    = "pre-rollback"
)

// Target is what a rollback deploys: the server stack with the cluster
// restored from Snapshot under a new name, and MLflow Version.
type Target struct {
	Snapshot      string `json:"snapshot"`
	ClusterSuffix string `json:"-"`
	Cluster       string `json:"cluster"`
	Version       string `json:"mlflowVersion"`
}

// Params are the server stack parameters that restore the snapshot.
func (t Target) Params() map[string]string {
	return map[string]string{ParamDBSnapshot: t.Snapshot, ParamDBClusterSuffix: t.ClusterSuffix}
}

// Redeploy updates the deployment to run t.Version with t.Params() on the
// server stack (the caller's up for that version), and waits for it.
type Redeploy func(ctx context.Context, t Target) error

// RollbackPlan is a checked rollback: nothing has changed yet.
type RollbackPlan struct {
	From     string   `json:"from"` // the MLflow version serving now
	Snapshot Backup   `json:"snapshot"`
	Target   Target   `json:"target"`
	Lines    []string `json:"-"`
}

// PlanRollback checks a rollback of d, serving MLflow version current, to
// snapshot (the newest pre-upgrade snapshot of d when ""), changing
// nothing. Bad input is an *InputError: an unknown snapshot, one of
// another deployment or not available, one whose MLflow version is not
// supported, or no pre-upgrade snapshot at all.
func (u *Upgrader) PlanRollback(ctx context.Context, d Deployment, current, snapshot string) (*RollbackPlan, error) {
	snap, err := u.pick(ctx, d, snapshot)
	if err != nil {
		return nil, err
	}
	restored, err := RestoreParams(ctx, u.CFN, d.Stack)
	if err != nil {
		return nil, err
	}
	if restored[ParamDBSnapshot] == snap.ID {
		return nil, &InputError{Field: "--snapshot", Msg: fmt.Sprintf("nothing to roll back to: the database already is snapshot %s, restored by an earlier rollback "+
			"(mlflowctl backups list shows the others)", snap.ID)}
	}
	if _, err := versions.Lookup(snap.FromVersion); err != nil {
		return nil, &InputError{Field: "--snapshot", Msg: fmt.Sprintf("snapshot %s holds the data of MLflow %q, which mlflowctl cannot run: %v", snap.ID, snap.FromVersion, err)}
	}
	suffix := u.now().UTC().Format("20060102150405")
	p := &RollbackPlan{From: current, Snapshot: snap, Target: Target{
		Snapshot: snap.ID, ClusterSuffix: suffix, Cluster: d.Name + "-mlflow-r" + suffix, Version: snap.FromVersion,
	}}
	p.Lines = []string{
		fmt.Sprintf("Roll back deployment %s: MLflow %s → %s with the data of snapshot %s (taken %s)",
			d.Name, current, snap.FromVersion, snap.ID, snap.Created.UTC().Format("2006-01-02 15:04 UTC")),
		fmt.Sprintf("  downtime: the service %s goes to 0 tasks; a snapshot of the current database is taken first (%s-%s)",
			d.Service, snapshotHead(d.Name, KindPreRollback), timePattern),
		fmt.Sprintf("  CloudFormation restores %s into a new cluster %s and replaces %s (database.deletionPolicy decides what is kept of it)",
			snap.ID, p.Target.Cluster, d.DBCluster),
		fmt.Sprintf("  lost from the serving database: what was written after %s (it stays in the pre-rollback snapshot)",
			snap.Created.UTC().Format("2006-01-02 15:04 UTC")),
		fmt.Sprintf("  afterwards: set mlflowVersion: %s in mlflowctl.yaml, or the next mlflowctl up upgrades again", snap.FromVersion),
	}
	return p, nil
}

// pick finds the snapshot to roll back to.
func (u *Upgrader) pick(ctx context.Context, d Deployment, id string) (Backup, error) {
	if id != "" {
		return u.snapshot(ctx, d, id)
	}
	all, err := u.Backups(ctx, d)
	if err != nil {
		return Backup{}, err
	}
	for _, b := range all { // newest first
		if b.Kind == KindPreUpgrade && b.Status == "available" {
			return b, nil
		}
	}
	return Backup{}, &InputError{Field: "--snapshot", Msg: fmt.Sprintf(
		"nothing to roll back to: deployment %s has no available pre-upgrade snapshot (mlflowctl backups list shows its snapshots; pass one with --snapshot)", d.Name)}
}

// snapshot checks that id is an available snapshot mlflowctl made of d.
func (u *Upgrader) snapshot(ctx context.Context, d Deployment, id string) (Backup, error) {
	out, err := u.RDS.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(id)})
	var nf *rdstypes.DBClusterSnapshotNotFoundFault
	if errors.As(err, &nf) || (err == nil && len(out.DBClusterSnapshots) == 0) {
		return Backup{}, &InputError{Field: "--snapshot", Msg: fmt.Sprintf("no snapshot %q: mlflowctl backups list lists this deployment's", id)}
	}
	if err != nil {
		return Backup{}, fmt.Errorf("describe snapshot %s: %w", id, err)
	}
	s := out.DBClusterSnapshots[0]
	b := backupOf(s)
	if tagValue(s.TagList, TagDeployment) != d.Name {
		return Backup{}, &InputError{Field: "--snapshot", Msg: fmt.Sprintf("snapshot %s was not made by mlflowctl for deployment %s (mlflowctl backups list shows its snapshots)", id, d.Name)}
	}
	if b.Status != "available" {
		return Backup{}, &InputError{Field: "--snapshot", Msg: fmt.Sprintf("snapshot %s is %s, not available", id, b.Status)}
	}
	return b, nil
}

// Rollback runs p: the service at zero (no write is lost between the
// snapshot and the switch), a snapshot of the current database, the stack
// policy lifted for the cluster, redeploy (CloudFormation restores the
// snapshot into the new cluster and replaces the current one), the policy
// back, a check that the stack now names the restored cluster and the
// snapshot's version, then the service back at its task count.
//
// A failed redeploy leaves CloudFormation's rollback of the stack: the
// current cluster and version serve again, and the error says so.
func (u *Upgrader) Rollback(ctx context.Context, d Deployment, p *RollbackPlan, redeploy Redeploy) (Backup, error) {
	svc, err := u.service(ctx, d)
	if err != nil {
		return Backup{}, err
	}
	h, err := u.holdScaling(ctx, d)
	if err != nil {
		return Backup{}, err
	}
	back := func(ctx context.Context) error {
		if err := u.releaseScaling(ctx, d, h); err != nil {
			return err
		}
		return u.scale(ctx, d, svc.DesiredCount)
	}
	if err := u.scale(ctx, d, 0); err != nil {
		return Backup{}, u.abort(ctx, back, err, p)
	}
	keep, err := u.Snapshot(ctx, d, KindPreRollback, p.From, p.Target.Version)
	if err != nil {
		return keep, u.abort(ctx, back, fmt.Errorf("snapshot the current database: %w", err), p)
	}
	if err := u.setPolicy(ctx, d, allowPolicy); err != nil {
		return keep, u.abort(ctx, back, err, p)
	}
	u.say("restoring %s into cluster %s and deploying MLflow %s", p.Snapshot.ID, p.Target.Cluster, p.Target.Version)
	rerr := redeploy(ctx, p.Target)
	// The policy goes back and the service restarts even after Ctrl-C.
	ctx = context.WithoutCancel(ctx)
	perr := u.setPolicy(ctx, d, protectPolicy)
	if rerr != nil {
		rerr = errors.Join(rerr, perr)
		return keep, u.abort(ctx, back, fmt.Errorf("the restore failed: %w; CloudFormation rolls the stack back, so the current database (cluster %s, its data also in snapshot %s) serves MLflow %s again",
			rerr, d.DBCluster, keep.ID, p.From), p)
	}
	if perr != nil {
		return keep, perr
	}
	if err := u.checkRestored(ctx, d, p.Target); err != nil {
		return keep, err
	}
	if err := back(ctx); err != nil {
		return keep, err
	}
	u.say("rolled back: MLflow %s serves the data of %s from cluster %s", p.Target.Version, p.Snapshot.ID, p.Target.Cluster)
	return keep, nil
}

// abort puts the service back at its task count and returns cause.
func (u *Upgrader) abort(ctx context.Context, back func(context.Context) error, cause error, p *RollbackPlan) error {
	if err := back(ctx); err != nil {
		return fmt.Errorf("%w; and starting MLflow %s again failed: %w", cause, p.From, err)
	}
	return cause
}

// checkRestored reads the server stack after the update: it must name the
// restored cluster and the snapshot's MLflow version.
func (u *Upgrader) checkRestored(ctx context.Context, d Deployment, t Target) error {
	out, err := u.CFN.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(d.Stack)})
	if err != nil || len(out.Stacks) == 0 {
		return fmt.Errorf("read stack %s after the restore: %w", d.Stack, err)
	}
	got := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		got[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	if got[stacks.OutDBClusterID] != t.Cluster || got[stacks.OutMLflowVersion] != t.Version {
		return fmt.Errorf("after the restore stack %s names cluster %q and MLflow %q, want %s and %s",
			d.Stack, got[stacks.OutDBClusterID], got[stacks.OutMLflowVersion], t.Cluster, t.Version)
	}
	return nil
}

// Stack policies of the server stack. protectPolicy denies replacing or
// deleting the cluster in any update: after a restore, an update that
// forgot the snapshot parameters would replace the restored cluster with a
// new empty one ("if you don't specify the SnapshotIdentifier property, an
// empty DB cluster is created, and the original DB cluster is deleted",
// AWS::RDS::DBCluster SnapshotIdentifier, CloudFormation template
// reference); with the policy such an update fails and rolls back instead.
// A stack policy "applies only during stack updates" and, once set,
// cannot be removed, only replaced ("Prevent updates to stack resources",
// CloudFormation User Guide): allowPolicy is what the rollback's own
// update runs under.
const (
	allowPolicy   = `{"Statement":[{"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"}]}`
	protectPolicy = `{"Statement":[{"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"},` +
		`{"Effect":"Deny","Action":["Update:Replace","Update:Delete"],"Principal":"*","Resource":"LogicalResourceId/` + DBClusterLogicalID + `"}]}`
)

func (u *Upgrader) setPolicy(ctx context.Context, d Deployment, policy string) error {
	if _, err := u.CFN.SetStackPolicy(ctx, &cloudformation.SetStackPolicyInput{StackName: aws.String(d.Stack), StackPolicyBody: aws.String(policy)}); err != nil {
		return fmt.Errorf("set the stack policy of %s: %w", d.Stack, err)
	}
	return nil
}

// RestoreParams are the database parameters the server stack has now,
// which every later update must pass again (nil when the stack does not
// exist yet): CloudFormation takes a parameter left out of an update at
// its default, and the default "" of DbSnapshotIdentifier would replace a
// restored cluster with an empty one. up passes these with the server
// stack's parameters.
func RestoreParams(ctx context.Context, cfn stacks.DescribeStacksAPI, stack string) (map[string]string, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read the database parameters of %s: %w", stack, err)
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	params := map[string]string{}
	for _, p := range out.Stacks[0].Parameters {
		switch k := aws.ToString(p.ParameterKey); k {
		case ParamDBSnapshot, ParamDBClusterSuffix:
			params[k] = aws.ToString(p.ParameterValue)
		}
	}
	return params, nil
}

// isNotFound is CloudFormation's answer for a stack that does not exist:
// a ValidationError "Stack with id X does not exist".
func isNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist")
}
