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
}

func knownFrom(found []Stack) Known {
	var k Known
	for _, s := range found {
		if id := s.Outputs[stacks.OutDBClusterID]; id != "" {
			k.DBClusters = append(k.DBClusters, id)
		}
		if id := s.Outputs[stacks.OutRestAPIID]; id != "" {
			k.RestAPIs = append(k.RestAPIs, id)
		}
	}
	return k
}

// TaggedResources lists the ARNs of everything tagged
// mlflowctl:deployment=<name>.
func TaggedResources(ctx context.Context, api TaggingAPI, name string) ([]string, error) {
	var arns []string
	p := tagging.NewGetResourcesPaginator(api, &tagging.GetResourcesInput{
		TagFilters: []taggingtypes.TagFilter{{Key: aws.String(TagDeployment), Values: []string{name}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan resources tagged %s=%s: %w", TagDeployment, name, err)
		}
		for _, r := range page.ResourceTagMappingList {
			arns = append(arns, aws.ToString(r.ResourceARN))
		}
	}
	slices.Sort(arns)
	return arns, nil
}

// Snapshot is a DB cluster snapshot of the deployment's database; the
// server stack's Snapshot deletion policy leaves the final one.
type Snapshot struct {
	ID, ARN, Cluster string
}

// FindSnapshots lists manual snapshots of the deployment's DB clusters:
// those named in outputs, and those CloudFormation named for the server
// stack ("<name>-server-...", lower case).
func FindSnapshots(ctx context.Context, api RDSAPI, name string, clusters []string) ([]Snapshot, error) {
	prefix := strings.ToLower(name + "-" + stacks.Server + "-")
	var found []Snapshot
	p := rds.NewDescribeDBClusterSnapshotsPaginator(api, &rds.DescribeDBClusterSnapshotsInput{SnapshotType: aws.String("manual")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list DB cluster snapshots: %w", err)
		}
		for _, s := range page.DBClusterSnapshots {
			cluster := aws.ToString(s.DBClusterIdentifier)
			if slices.Contains(clusters, cluster) || strings.HasPrefix(cluster, prefix) {
				found = append(found, Snapshot{ID: aws.ToString(s.DBClusterSnapshotIdentifier), ARN: aws.ToString(s.DBClusterSnapshotArn), Cluster: cluster})
			}
		}
	}
	return found, nil
}

// logGroupPrefixes are where the deployment's untagged log groups live:
// those AWS creates on first use for its Lambda functions and CodeBuild
// projects (named after the stack), the API stage's execution logs, and
// mlflowctl's own.
func logGroupPrefixes(name string, restAPIs []string) []string {
	prefixes := []string{"/mlflowctl/" + name + "/"}
	for id := range dependencies {
		prefixes = append(prefixes, "/aws/lambda/"+name+"-"+id+"-", "/aws/codebuild/"+name+"-"+id+"-")
	}
	for _, api := range restAPIs {
		prefixes = append(prefixes, "API-Gateway-Execution-Logs_"+api+"/")
	}
	slices.Sort(prefixes)
	return prefixes
}

// FindLogGroups lists the deployment's log groups by name prefix.
func FindLogGroups(ctx context.Context, api LogsAPI, name string, restAPIs []string) ([]string, error) {
	var found []string
	for _, prefix := range logGroupPrefixes(name, restAPIs) {
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
