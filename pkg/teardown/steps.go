package teardown

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// The mechanisms `down` runs, one per step; the order they run in is
// app.Down.Run's.

// Progress reports a line of progress (it may be called concurrently).
func (t *Teardown) Progress(line string) { t.log(line) }

// DeleteStudio deletes the plan's Studio apps (waited for), then its
// spaces and user profiles (pkg/sagemaker).
func (t *Teardown) DeleteStudio(ctx context.Context, p Plan) error {
	if p.Studio == nil || p.Studio.Empty() {
		return nil
	}
	return t.Studio.Delete(ctx, *p.Studio)
}

// Retained lists, per stack ID, the physical IDs --keep-data keeps: the
// artifact bucket and the DB cluster.
func (t *Teardown) Retained(p Plan) map[string][]string {
	retain := map[string][]string{}
	if !t.KeepData {
		return retain
	}
	for _, s := range p.Stacks {
		for _, key := range []string{stacks.OutArtifactBucket, stacks.OutDBClusterID} {
			if v := s.Outputs[key]; v != "" {
				retain[s.ID] = append(retain[s.ID], v)
			}
		}
	}
	return retain
}

// MarkDomainStorage tags a created domain's home EFS and NFS security
// groups with the deployment, while the domain (given by the stack's own
// outputs) still names them.
func (t *Teardown) MarkDomainStorage(ctx context.Context, own map[string]string) error {
	if own[stacks.OutDomainCreated] != "true" || own[stacks.OutDomainID] == "" || t.Storage == nil {
		return nil
	}
	_, err := t.Storage.Mark(ctx, t.Name, own[stacks.OutDomainID])
	return err
}

// CleanDomainStorage deletes the storage MarkDomainStorage tagged once
// its domain is gone; it does nothing while the domain exists.
func (t *Teardown) CleanDomainStorage(ctx context.Context) error {
	if t.Storage == nil {
		return nil
	}
	return t.Storage.Clean(ctx, t.Name)
}

// LiftUserPoolProtection turns off the deletion protection of the user
// pool a stack's outputs name (LiftDeletionProtection).
func (t *Teardown) LiftUserPoolProtection(ctx context.Context, stack string, own map[string]string) error {
	pool := own[stacks.OutUserPoolID]
	if pool == "" || t.Cognito == nil {
		return nil
	}
	lifted, err := LiftDeletionProtection(ctx, t.Cognito, pool)
	if err != nil {
		return err
	}
	if lifted {
		t.log(fmt.Sprintf("stack %s-%s: deletion protection of user pool %s turned off", t.Name, stack, pool))
	}
	return nil
}

// EmptyStores empties the buckets (but a kept artifact bucket) and the
// ECR repositories a stack's outputs name.
func (t *Teardown) EmptyStores(ctx context.Context, stack string, own map[string]string) error {
	for _, key := range sortedKeys(own) {
		if err := t.emptyOutput(ctx, stack, key, own[key]); err != nil {
			return err
		}
	}
	return nil
}

func (t *Teardown) emptyOutput(ctx context.Context, stack, key, val string) error {
	switch {
	case strings.HasSuffix(key, "BucketName") && !t.keeps(key):
		n, err := EmptyBucket(ctx, t.S3, val, t.log)
		if err == nil {
			t.log(fmt.Sprintf("stack %s-%s: bucket %s emptied (%s)", t.Name, stack, val, plural(n, "object version")))
		}
		return err
	case strings.HasSuffix(key, "RepositoryUri"):
		repo := RepositoryName(val)
		n, err := EmptyRepository(ctx, t.ECR, repo, t.log)
		if err == nil {
			t.log(fmt.Sprintf("stack %s-%s: repository %s emptied (%s)", t.Name, stack, repo, plural(n, "image")))
		}
		return err
	}
	return nil
}

// DeleteSnapshots deletes the final DB snapshots the deployment's
// clusters left, or with --keep-data returns them as kept.
func (t *Teardown) DeleteSnapshots(ctx context.Context, known Known, tagged []Tagged) ([]Kept, error) {
	snaps, err := FindSnapshots(ctx, t.RDS, known.DBClusters, tagged)
	if err != nil {
		return nil, err
	}
	var kept []Kept
	for _, s := range snaps {
		if t.KeepData {
			kept = append(kept, Kept{Kind: "db-snapshot", Name: s.ID})
			continue
		}
		t.log("deleting the final DB snapshot " + s.ID)
		if _, err := t.RDS.DeleteDBClusterSnapshot(ctx, &rds.DeleteDBClusterSnapshotInput{DBClusterSnapshotIdentifier: aws.String(s.ID)}); err != nil && !isNotFoundCode(err) {
			return kept, fmt.Errorf("delete DB snapshot %s: %w", s.ID, err)
		}
	}
	return kept, nil
}

// KeptNames is the set of the names of what is kept.
func KeptNames(kept []Kept) map[string]bool {
	m := map[string]bool{}
	for _, k := range kept {
		m[k.Name] = true
	}
	return m
}

// KeptNote is the end of the last progress line: what is kept, counted.
func KeptNote(kept []Kept) string {
	if len(kept) == 0 {
		return ""
	}
	return fmt.Sprintf(" but %s kept", plural(len(kept), "resource"))
}
