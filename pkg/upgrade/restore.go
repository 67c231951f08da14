package upgrade

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// Restored is the cluster a rollback made from a snapshot.
type Restored struct {
	Cluster  string // the new cluster's identifier
	Endpoint string // its writer endpoint
	Version  string // the MLflow version whose data the snapshot holds
	Snapshot string
}

// Repoint puts the service on the restored cluster and the snapshot's
// MLflow version (the caller's stack update) and back to its task count.
type Repoint func(ctx context.Context, r Restored) error

// Restore rolls d back to a snapshot: the service at zero, a new cluster
// restored from the snapshot with the current cluster's network, scaling
// and encryption, its Serverless v2 writer, then repoint. The current
// cluster is left as it is (nothing is deleted); RestoreDBClusterFromSnapshot
// always makes a new cluster, with a new identifier, and "only restores the
// DB cluster, not the DB instances": CreateDBInstance once it is available
// (RDS API reference, RestoreDBClusterFromSnapshot).
func (u *Upgrader) Restore(ctx context.Context, d Deployment, snapshot string, repoint Repoint) (Restored, error) {
	snap, err := u.snapshot(ctx, d, snapshot)
	if err != nil {
		return Restored{}, err
	}
	cur, err := u.cluster(ctx, d.DBCluster)
	if err != nil {
		return Restored{}, err
	}
	if err := u.scale(ctx, d, 0); err != nil {
		return Restored{}, err
	}
	r := Restored{Cluster: restoredID(d.DBCluster, u.now().UTC().Format("20060102-150405")), Version: snap.FromVersion, Snapshot: snap.ID}
	u.say("restoring snapshot %s into new cluster %s", snap.ID, r.Cluster)
	in := &rds.RestoreDBClusterFromSnapshotInput{
		DBClusterIdentifier: aws.String(r.Cluster), SnapshotIdentifier: aws.String(snap.ID),
		Engine: cur.Engine, EngineVersion: cur.EngineVersion, DBSubnetGroupName: cur.DBSubnetGroup,
		ServerlessV2ScalingConfiguration: scalingOf(cur), KmsKeyId: cur.KmsKeyId,
		DeletionProtection: cur.DeletionProtection, CopyTagsToSnapshot: cur.CopyTagsToSnapshot,
		Tags: append(cur.TagList, rdstypes.Tag{Key: aws.String("mlflowctl:restored-from"), Value: aws.String(snap.ID)}),
	}
	for _, sg := range cur.VpcSecurityGroups {
		in.VpcSecurityGroupIds = append(in.VpcSecurityGroupIds, aws.ToString(sg.VpcSecurityGroupId))
	}
	if _, err := u.RDS.RestoreDBClusterFromSnapshot(ctx, in); err != nil {
		return r, fmt.Errorf("restore snapshot %s: %w (the service is at zero tasks; `mlflowctl up` starts it on the current cluster)", snap.ID, err)
	}
	if err := u.waitCluster(ctx, r.Cluster); err != nil {
		return r, err
	}
	if err := u.writer(ctx, r.Cluster, cur); err != nil {
		return r, err
	}
	c, err := u.cluster(ctx, r.Cluster)
	if err != nil {
		return r, err
	}
	r.Endpoint = aws.ToString(c.Endpoint)
	u.say("cluster %s: available at %s; starting MLflow %s on it", r.Cluster, r.Endpoint, r.Version)
	if err := repoint(ctx, r); err != nil {
		return r, fmt.Errorf("the data is restored in cluster %s but the service could not be moved to it: %w", r.Cluster, err)
	}
	return r, nil
}

func (u *Upgrader) snapshot(ctx context.Context, d Deployment, id string) (Backup, error) {
	out, err := u.RDS.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(id)})
	if err != nil || len(out.DBClusterSnapshots) == 0 {
		return Backup{}, &InputError{Field: "--snapshot", Msg: fmt.Sprintf("no snapshot %q: `mlflowctl backups list` lists this deployment's", id)}
	}
	s := out.DBClusterSnapshots[0]
	b := backupOf(s)
	if tagValue(s.TagList, TagDeployment) != d.Name {
		return Backup{}, &InputError{Field: "--snapshot", Msg: fmt.Sprintf("snapshot %s was not made by mlflowctl for deployment %s", id, d.Name)}
	}
	if b.Status != "available" {
		return Backup{}, &InputError{Field: "--snapshot", Msg: fmt.Sprintf("snapshot %s is %s, not available", id, b.Status)}
	}
	return b, nil
}

func (u *Upgrader) cluster(ctx context.Context, id string) (rdstypes.DBCluster, error) {
	out, err := u.RDS.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err != nil {
		return rdstypes.DBCluster{}, fmt.Errorf("describe cluster %s: %w", id, err)
	}
	if len(out.DBClusters) == 0 {
		return rdstypes.DBCluster{}, fmt.Errorf("cluster %s not found", id)
	}
	return out.DBClusters[0], nil
}

func (u *Upgrader) waitCluster(ctx context.Context, id string) error {
	return u.poll(ctx, "cluster "+id+" to be available", func() (bool, error) {
		c, err := u.cluster(ctx, id)
		return err == nil && aws.ToString(c.Status) == "available", err
	})
}

// writer creates the restored cluster's Serverless v2 instance, with the
// current writer's class, and waits for it.
func (u *Upgrader) writer(ctx context.Context, cluster string, cur rdstypes.DBCluster) error {
	id := cluster + "-writer"
	class := "db.serverless"
	for _, m := range cur.DBClusterMembers {
		if aws.ToBool(m.IsClusterWriter) {
			if out, err := u.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: m.DBInstanceIdentifier}); err == nil && len(out.DBInstances) > 0 {
				class = aws.ToString(out.DBInstances[0].DBInstanceClass)
			}
		}
	}
	if _, err := u.RDS.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), DBClusterIdentifier: aws.String(cluster),
		DBInstanceClass: aws.String(class), Engine: cur.Engine,
	}); err != nil {
		return fmt.Errorf("create the writer of restored cluster %s: %w", cluster, err)
	}
	return u.poll(ctx, "instance "+id+" to be available", func() (bool, error) {
		out, err := u.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		return err == nil && len(out.DBInstances) > 0 && aws.ToString(out.DBInstances[0].DBInstanceStatus) == "available", err
	})
}

func scalingOf(c rdstypes.DBCluster) *rdstypes.ServerlessV2ScalingConfiguration {
	s := c.ServerlessV2ScalingConfiguration
	if s == nil {
		return nil
	}
	return &rdstypes.ServerlessV2ScalingConfiguration{MinCapacity: s.MinCapacity, MaxCapacity: s.MaxCapacity}
}

// restoredID is "<cluster>-r<timestamp>", within the 63 characters a
// cluster identifier may have.
func restoredID(cluster, stamp string) string {
	suffix := "-r" + stamp
	head := identifier(cluster)
	if len(head)+len(suffix) > 63 {
		head = strings.TrimRight(head[:63-len(suffix)], "-")
	}
	return head + suffix
}

// InputError is bad input found before anything changed (exit 2).
type InputError struct{ Field, Msg string }

func (e *InputError) Error() string { return e.Field + ": " + e.Msg }
