package upgrade

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// RDS is the part of the RDS API backups, upgrades and restores use.
type RDS interface {
	CreateDBClusterSnapshot(ctx context.Context, in *rds.CreateDBClusterSnapshotInput, opts ...func(*rds.Options)) (*rds.CreateDBClusterSnapshotOutput, error)
	DescribeDBClusterSnapshots(ctx context.Context, in *rds.DescribeDBClusterSnapshotsInput, opts ...func(*rds.Options)) (*rds.DescribeDBClusterSnapshotsOutput, error)
}

// Tag keys on every snapshot mlflowctl makes.
const (
	TagDeployment  = "mlflowctl:deployment"
	TagKind        = "mlflowctl:snapshot"    // "pre-upgrade" or "manual"
	TagFromVersion = "mlflowctl:mlflow-from" // the version whose data the snapshot holds
	TagToVersion   = "mlflowctl:mlflow-to"   // pre-upgrade only: the version upgraded to
	KindPreUpgrade = "pre-upgrade"
	KindManual     = "manual"
)

// Backup is one manual cluster snapshot mlflowctl made.
type Backup struct {
	ID          string    `json:"id"`
	Cluster     string    `json:"cluster"`
	Status      string    `json:"status"`
	Kind        string    `json:"kind"`
	FromVersion string    `json:"mlflowVersion"`
	ToVersion   string    `json:"upgradedTo,omitempty"`
	Created     time.Time `json:"created"`
}

// snapshotID is "mlflowctl-<deployment>-<kind>-<UTC time>", a valid
// identifier (see identifier), the time kept when it must be shortened.
func snapshotID(deployment, kind string, now time.Time) string {
	return snapshotHead(deployment, kind) + "-" + now.UTC().Format(stampLayout)
}

const (
	stampLayout = "20060102-150405"
	// timePattern stands for the time part in the plan (as long as it).
	timePattern = "YYYYMMDD-HHMMSS"
)

func snapshotHead(deployment, kind string) string {
	head := identifier(fmt.Sprintf("mlflowctl-%s-%s", deployment, kind))
	if len(head)+1+len(stampLayout) > 63 {
		head = strings.TrimRight(head[:63-1-len(stampLayout)], "-")
	}
	return head
}

var (
	notIDChars = regexp.MustCompile(`[^a-z0-9-]+`)
	hyphens    = regexp.MustCompile(`-{2,}`)
)

// identifier makes s a valid DB cluster (snapshot) identifier: 1-63
// letters, digits or hyphens, a letter first, no trailing or double hyphen
// (RDS API reference, CreateDBClusterSnapshot and
// RestoreDBClusterFromSnapshot constraints).
func identifier(s string) string {
	s = hyphens.ReplaceAllString(notIDChars.ReplaceAllString(strings.ToLower(s), "-"), "-")
	s = strings.Trim(s, "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "m" + s
	}
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}

// Snapshot makes a manual snapshot of the deployment's cluster, tagged, and
// waits until it is available: an upgrade must not start before its way
// back exists. Snapshotting needs the cluster available (Aurora User Guide,
// "Creating a DB cluster snapshot").
func (u *Upgrader) Snapshot(ctx context.Context, d Deployment, kind, from, to string) (Backup, error) {
	id := snapshotID(d.Name, kind, u.now())
	tags := []rdstypes.Tag{
		{Key: aws.String(TagDeployment), Value: aws.String(d.Name)},
		{Key: aws.String(TagKind), Value: aws.String(kind)},
		{Key: aws.String(TagFromVersion), Value: aws.String(from)},
	}
	if to != "" {
		tags = append(tags, rdstypes.Tag{Key: aws.String(TagToVersion), Value: aws.String(to)})
	}
	u.say("snapshot %s of cluster %s: creating", id, d.DBCluster)
	if _, err := u.RDS.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{
		DBClusterIdentifier: aws.String(d.DBCluster), DBClusterSnapshotIdentifier: aws.String(id), Tags: tags,
	}); err != nil {
		return Backup{}, fmt.Errorf("create snapshot %s of cluster %s: %w", id, d.DBCluster, err)
	}
	var b Backup
	err := u.poll(ctx, "snapshot "+id+" to be available", func() (bool, error) {
		out, err := u.RDS.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(id)})
		if err != nil {
			return false, err
		}
		if len(out.DBClusterSnapshots) == 0 {
			return false, nil
		}
		b = backupOf(out.DBClusterSnapshots[0])
		switch b.Status {
		case "available":
			return true, nil
		case "failed", "deleted":
			return false, fmt.Errorf("snapshot %s is %s", id, b.Status)
		}
		return false, nil
	})
	if err != nil {
		return Backup{}, err
	}
	u.say("snapshot %s: available", id)
	return b, nil
}

// Backups lists the deployment's manual snapshots made by mlflowctl, newest first.
func (u *Upgrader) Backups(ctx context.Context, d Deployment) ([]Backup, error) {
	var out []Backup
	in := &rds.DescribeDBClusterSnapshotsInput{DBClusterIdentifier: aws.String(d.DBCluster), SnapshotType: aws.String("manual"), IncludeShared: aws.Bool(false)}
	for {
		page, err := u.RDS.DescribeDBClusterSnapshots(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list snapshots of cluster %s: %w", d.DBCluster, err)
		}
		for _, s := range page.DBClusterSnapshots {
			if b := backupOf(s); tagValue(s.TagList, TagDeployment) == d.Name {
				out = append(out, b)
			}
		}
		if aws.ToString(page.Marker) == "" {
			break
		}
		in.Marker = page.Marker
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

func backupOf(s rdstypes.DBClusterSnapshot) Backup {
	return Backup{
		ID: aws.ToString(s.DBClusterSnapshotIdentifier), Cluster: aws.ToString(s.DBClusterIdentifier),
		Status: aws.ToString(s.Status), Kind: tagValue(s.TagList, TagKind),
		FromVersion: tagValue(s.TagList, TagFromVersion), ToVersion: tagValue(s.TagList, TagToVersion),
		Created: aws.ToTime(s.SnapshotCreateTime),
	}
}

func tagValue(tags []rdstypes.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// RollbackCommand is how a user gets the data back as it was in the
// snapshot (the newest pre-upgrade one when snapshot is "") with the MLflow
// version that wrote it.
func RollbackCommand(snapshot string) string {
	if snapshot == "" {
		return "mlflowctl rollback"
	}
	return "mlflowctl rollback --snapshot " + snapshot
}

// InputError is bad input found before anything changed (exit 2).
type InputError struct{ Field, Msg string }

func (e *InputError) Error() string { return e.Field + ": " + e.Msg }
