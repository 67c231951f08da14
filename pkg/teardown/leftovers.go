package teardown

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// TaggingAPI is the part of the Resource Groups Tagging API client teardown uses.
// The client module stays on v1.41.x: v1.42 sends Smithy RPC v2 CBOR
// first, which moto_server 5.2.1 does not speak.
type TaggingAPI interface {
	GetResources(ctx context.Context, in *tagging.GetResourcesInput, opts ...func(*tagging.Options)) (*tagging.GetResourcesOutput, error)
}

// RDSAPI is the part of the RDS client teardown uses.
type RDSAPI interface {
	DescribeDBClusterSnapshots(ctx context.Context, in *rds.DescribeDBClusterSnapshotsInput, opts ...func(*rds.Options)) (*rds.DescribeDBClusterSnapshotsOutput, error)
	DescribeDBClusters(ctx context.Context, in *rds.DescribeDBClustersInput, opts ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
	DeleteDBClusterSnapshot(ctx context.Context, in *rds.DeleteDBClusterSnapshotInput, opts ...func(*rds.Options)) (*rds.DeleteDBClusterSnapshotOutput, error)
}

// LogsAPI is the part of the CloudWatch Logs client teardown uses.
type LogsAPI interface {
	DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	DeleteLogGroup(ctx context.Context, in *cloudwatchlogs.DeleteLogGroupInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error)
}

// Leftover is something of the deployment that still exists.
type Leftover struct {
	Kind string `json:"kind"` // "tagged", "db-snapshot", "log-group", "stack"
	Name string `json:"name"` // ARN for tagged resources
}

func (l Leftover) String() string { return l.Kind + " " + l.Name }

// Known are names learnt from the stacks' outputs while they existed.
type Known struct {
	DBClusters []string
	RestAPIs   []string
	// LogGroups are exact names AWS creates outside the templates: those
	// of Lambda functions and CodeBuild projects named in outputs.
	LogGroups []string
}

// KnownFrom lists the names learnt from the stacks' outputs, read while
// the stacks still exist.
func KnownFrom(found []Stack) Known {
	var k Known
	for _, s := range found {
		for _, key := range sortedKeys(s.Outputs) {
			val := s.Outputs[key]
			switch {
			case key == stacks.OutDBClusterID:
				k.DBClusters = append(k.DBClusters, val)
			case key == stacks.OutRestAPIID:
				k.RestAPIs = append(k.RestAPIs, val)
			case key == stacks.OutCodeBuildProject:
				k.LogGroups = append(k.LogGroups, "/aws/codebuild/"+val)
			case strings.HasSuffix(key, "FunctionName"):
				k.LogGroups = append(k.LogGroups, "/aws/lambda/"+val)
			}
		}
	}
	return k
}

// TagRetained marks a resource a template retains on purpose because it
// outlives the deployment (API Gateway's account-wide CloudWatch role):
// the leftover scan lists it as kept, not as left behind.
const TagRetained = "mlflowctl:retained"

// Tagged is a resource tagged with the deployment.
type Tagged struct {
	ARN      string
	Retained string // the mlflowctl:retained tag's value, if any
}

// TaggedResources lists everything tagged mlflowctl:deployment=<name>.
func TaggedResources(ctx context.Context, api TaggingAPI, name string) ([]Tagged, error) {
	var found []Tagged
	p := tagging.NewGetResourcesPaginator(api, &tagging.GetResourcesInput{
		TagFilters: []taggingtypes.TagFilter{{Key: aws.String(TagDeployment), Values: []string{name}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan resources tagged %s=%s: %w", TagDeployment, name, err)
		}
		for _, r := range page.ResourceTagMappingList {
			t := Tagged{ARN: aws.ToString(r.ResourceARN)}
			for _, tag := range r.Tags {
				if aws.ToString(tag.Key) == TagRetained {
					t.Retained = aws.ToString(tag.Value)
				}
			}
			found = append(found, t)
		}
	}
	slices.SortFunc(found, func(a, b Tagged) int { return strings.Compare(a.ARN, b.ARN) })
	return found, nil
}

// Snapshot is a DB cluster snapshot of the deployment's database; the
// server stack's Snapshot deletion policy leaves the final one.
type Snapshot struct {
	ID, ARN, Cluster string
}

// FindSnapshots lists manual snapshots of the deployment's DB clusters
// (named in outputs) and those tagged with the deployment (the cluster
// copies its tags to snapshots).
func FindSnapshots(ctx context.Context, api RDSAPI, clusters []string, tagged []Tagged) ([]Snapshot, error) {
	var found []Snapshot
	p := rds.NewDescribeDBClusterSnapshotsPaginator(api, &rds.DescribeDBClusterSnapshotsInput{SnapshotType: aws.String("manual")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list DB cluster snapshots: %w", err)
		}
		for _, s := range page.DBClusterSnapshots {
			arn := aws.ToString(s.DBClusterSnapshotArn)
			isTagged := slices.ContainsFunc(tagged, func(t Tagged) bool { return t.ARN == arn })
			if slices.Contains(clusters, aws.ToString(s.DBClusterIdentifier)) || isTagged {
				found = append(found, Snapshot{ID: aws.ToString(s.DBClusterSnapshotIdentifier), ARN: arn, Cluster: aws.ToString(s.DBClusterIdentifier)})
			}
		}
	}
	return found, nil
}

// FindLogGroups lists the deployment's log groups that its stacks may
// leave: everything under /mlflowctl/<name>/, the REST API's execution
// logs, the DB cluster's exported logs, and the exact names AWS gives the
// log groups of functions and projects. Only names that cannot belong to
// another deployment are used.
func FindLogGroups(ctx context.Context, api LogsAPI, name string, k Known) ([]string, error) {
	prefixes := []string{"/mlflowctl/" + name + "/"}
	for _, id := range k.RestAPIs {
		prefixes = append(prefixes, "API-Gateway-Execution-Logs_"+id+"/")
	}
	for _, id := range k.DBClusters {
		prefixes = append(prefixes, "/aws/rds/cluster/"+id+"/")
	}
	var found []string
	for _, prefix := range prefixes {
		groups, err := logGroups(ctx, api, prefix)
		if err != nil {
			return nil, err
		}
		found = append(found, groups...)
	}
	for _, exact := range k.LogGroups {
		groups, err := logGroups(ctx, api, exact)
		if err != nil {
			return nil, err
		}
		if slices.Contains(groups, exact) {
			found = append(found, exact)
		}
	}
	return found, nil
}

func logGroups(ctx context.Context, api LogsAPI, prefix string) ([]string, error) {
	var found []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(api, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list log groups %s*: %w", prefix, err)
		}
		for _, g := range page.LogGroups {
			found = append(found, aws.ToString(g.LogGroupName))
		}
	}
	return found, nil
}

// logGroupFromARN returns the name of a log group ARN
// (arn:aws:logs:<region>:<account>:log-group:<name>[:*]), or "".
func logGroupFromARN(arn string) string {
	_, rest, ok := strings.Cut(arn, ":log-group:")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(rest, ":*")
}

// resourceName is the last segment of an ARN, which for the kinds
// --keep-data keeps (bucket, DB cluster, cluster snapshot) is its name.
func resourceName(arn string) string {
	return arn[strings.LastIndexAny(arn, ":/")+1:]
}

// clusterExists says whether a DB cluster is still there (retained by
// its deletion policy, or not deleted yet).
func clusterExists(ctx context.Context, api RDSAPI, id string) (bool, error) {
	_, err := api.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err == nil {
		return true, nil
	}
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "NotFound") {
		return false, nil
	}
	return false, err
}
