package teardown

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/sagemaker"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// Teardown deletes one deployment.
type Teardown struct {
	Name     string
	KeepData bool

	CFN     CFNAPI
	S3      S3API
	ECR     ECRAPI
	Tagging TaggingAPI
	RDS     RDSAPI
	Logs    LogsAPI
	// Pushed finds the repositories push-container made outside the
	// stacks (nil: not looked for).
	Pushed PushedAPI
	// Cognito lifts a user pool's deletion protection before its stack
	// is deleted.
	Cognito CognitoAPI
	// Studio deletes apps, spaces and profiles; Storage a created
	// domain's EFS and security groups.
	Studio  *sagemaker.Studio
	Storage *sagemaker.DomainStorage
	// NewDeleter builds the stack deleter (the engine), given what
	// --keep-data retains per stack; the hooks come with the deployment.
	NewDeleter func(retain map[string][]string) StackDeleter
	// Log receives progress lines; it may be called concurrently.
	Log func(line string)

	logMu sync.Mutex
}

// Bucket is a bucket of a stack, with its object count (versions and
// delete markers).
type Bucket struct {
	Name    string `json:"name"`
	Stack   string `json:"stack"`
	Objects int    `json:"objects"`
	Keep    bool   `json:"keep,omitempty"`
}

// Repository is an ECR repository of a stack, with its image count.
type Repository struct {
	Name   string `json:"name"`
	Stack  string `json:"stack"`
	Images int    `json:"images"`
}

// Plan is what `down` will delete.
type Plan struct {
	Deployment   string               `json:"deployment"`
	KeepData     bool                 `json:"keepData"`
	Stacks       []Stack              `json:"stacks"`
	Buckets      []Bucket             `json:"buckets"`
	Repositories []Repository         `json:"repositories"`
	Studio       *sagemaker.Inventory `json:"studio,omitempty"`
	// Leftovers of an earlier run, found when no stack is left.
	Leftovers []Leftover `json:"leftovers"`
}

// Empty says there is nothing to delete.
func (p Plan) Empty() bool {
	return len(p.Stacks) == 0 && len(p.Leftovers) == 0 && (p.Studio == nil || p.Studio.Empty()) && !p.pushed()
}

func (t *Teardown) log(line string) {
	if t.Log == nil {
		return
	}
	t.logMu.Lock()
	defer t.logMu.Unlock()
	t.Log(line)
}

// Plan finds the deployment's stacks and counts what they hold. It only
// reads.
func (t *Teardown) Plan(ctx context.Context) (Plan, error) {
	// Empty lists, not null, in JSON.
	p := Plan{Deployment: t.Name, KeepData: t.KeepData, Stacks: []Stack{}, Buckets: []Bucket{}, Repositories: []Repository{}, Leftovers: []Leftover{}}
	found, err := FindStacks(ctx, t.CFN, t.Name)
	if err != nil {
		return p, fmt.Errorf("find the stacks of deployment %s: %w", t.Name, err)
	}
	if found != nil {
		p.Stacks = found
	}
	for _, s := range found {
		if err := t.planStack(ctx, &p, s); err != nil {
			return p, err
		}
	}
	if t.Pushed != nil {
		owned := make([]string, 0, len(p.Repositories))
		for _, r := range p.Repositories {
			owned = append(owned, r.Name)
		}
		pushed, err := PushedRepositories(ctx, t.Pushed, t.ECR, t.Name, owned)
		if err != nil {
			return p, err
		}
		p.Repositories = append(p.Repositories, pushed...)
	}
	if len(found) == 0 {
		p.Leftovers, _, err = t.Scan(ctx, Known{}, nil)
		if p.Leftovers == nil {
			p.Leftovers = []Leftover{}
		}
	}
	return p, err
}

func (t *Teardown) planStack(ctx context.Context, p *Plan, s Stack) error {
	for _, key := range sortedKeys(s.Outputs) {
		val := s.Outputs[key]
		switch {
		case strings.HasSuffix(key, "BucketName"):
			n, exists, err := CountObjects(ctx, t.S3, val)
			if err != nil {
				return err
			}
			if exists {
				p.Buckets = append(p.Buckets, Bucket{Name: val, Stack: s.ID, Objects: n, Keep: t.keeps(key)})
			}
		case strings.HasSuffix(key, "RepositoryUri"):
			repo := RepositoryName(val)
			n, exists, err := CountImages(ctx, t.ECR, repo)
			if err != nil {
				return err
			}
			if exists {
				p.Repositories = append(p.Repositories, Repository{Name: repo, Stack: s.ID, Images: n})
			}
		}
	}
	if domain := s.Outputs[stacks.OutDomainID]; domain != "" && t.Studio != nil {
		inv, err := t.Studio.Inventory(ctx, studioTarget(s))
		if err != nil {
			return fmt.Errorf("list the Studio apps of domain %s: %w", domain, err)
		}
		p.Studio = &inv
	}
	return nil
}

func (t *Teardown) keeps(outputKey string) bool {
	return t.KeepData && outputKey == stacks.OutArtifactBucket
}

func studioTarget(s Stack) sagemaker.Target {
	var profiles []string
	for p := range strings.SplitSeq(s.Outputs[stacks.OutUserProfiles], ",") {
		if p = strings.TrimSpace(p); p != "" {
			profiles = append(profiles, p)
		}
	}
	return sagemaker.Target{DomainID: s.Outputs[stacks.OutDomainID], Profiles: profiles,
		DomainCreated: s.Outputs[stacks.OutDomainCreated] == "true"}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Kept is something --keep-data kept.
type Kept struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Result is what `down` did and what is left.
type Result struct {
	Deployment string     `json:"deployment"`
	Kept       []Kept     `json:"kept"`
	Leftovers  []Leftover `json:"leftovers"`
}

// LeftoversError: the teardown ran but something of the deployment is
// still there (exit code 1).
type LeftoversError struct {
	Leftovers []Leftover
}

func (e *LeftoversError) Error() string {
	var lines []string
	for _, l := range e.Leftovers {
		lines = append(lines, "  "+l.String())
	}
	verb := "are"
	if len(e.Leftovers) == 1 {
		verb = "is"
	}
	return fmt.Sprintf("%s of the deployment %s still there:\n%s\nRun `mlflowctl down` again; if they stay, delete them by hand",
		plural(len(e.Leftovers), "resource"), verb, strings.Join(lines, "\n"))
}

// KeptData lists, with --keep-data, the artifact bucket and a DB cluster
// its deletion policy retained.
func (t *Teardown) KeptData(ctx context.Context, p Plan, known Known) ([]Kept, error) {
	if !t.KeepData {
		return nil, nil
	}
	var kept []Kept
	for _, b := range p.Buckets {
		if b.Keep {
			kept = append(kept, Kept{Kind: "bucket", Name: b.Name})
		}
	}
	for _, c := range known.DBClusters {
		exists, err := clusterExists(ctx, t.RDS, c)
		if err != nil {
			return kept, err
		}
		if exists {
			kept = append(kept, Kept{Kind: "db-cluster", Name: c})
		}
	}
	return kept, nil
}

// DeleteRetainedBuckets deletes buckets still tagged with the deployment
// once its stacks are gone: kept by an earlier --keep-data, or retained
// by a template's deletion policy.
func (t *Teardown) DeleteRetainedBuckets(ctx context.Context, tagged []Tagged) error {
	for _, r := range tagged {
		_, bucket, ok := strings.Cut(r.ARN, ":s3:::")
		if !ok || r.Retained != "" {
			continue
		}
		t.log("deleting retained bucket " + bucket)
		if err := DeleteBucket(ctx, t.S3, bucket, t.log); err != nil {
			return err
		}
	}
	return nil
}

// DeleteLogGroups deletes the deployment's log groups: by name, and by tag.
func (t *Teardown) DeleteLogGroups(ctx context.Context, known Known, tagged []Tagged) error {
	groups, err := FindLogGroups(ctx, t.Logs, t.Name, known)
	if err != nil {
		return err
	}
	for _, r := range tagged {
		if g := logGroupFromARN(r.ARN); g != "" && r.Retained == "" && !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		t.log("deleting log group " + g)
		_, err := t.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(g)})
		if err != nil && !isNotFoundCode(err) {
			return fmt.Errorf("delete log group %s: %w", g, err)
		}
	}
	return nil
}

// Scan lists what of the deployment still exists, leaving out what is
// kept: by --keep-data (names in kept), or on purpose by a template (the
// mlflowctl:retained tag), which it adds to kept.
func (t *Teardown) Scan(ctx context.Context, known Known, keptNames map[string]bool) ([]Leftover, []Kept, error) {
	var left []Leftover
	var retained []Kept
	tagged, err := TaggedResources(ctx, t.Tagging, t.Name)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range tagged {
		if keptNames[resourceName(r.ARN)] {
			continue
		}
		if r.Retained != "" {
			retained = append(retained, Kept{Kind: "retained (" + r.Retained + ")", Name: r.ARN})
			continue
		}
		gone, err := t.alreadyGone(ctx, r.ARN)
		if err != nil {
			return nil, nil, err
		}
		if !gone {
			left = append(left, Leftover{Kind: "tagged", Name: r.ARN})
		}
	}
	snaps, err := FindSnapshots(ctx, t.RDS, known.DBClusters, tagged)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range snaps {
		if !keptNames[s.ID] && !slices.ContainsFunc(tagged, func(r Tagged) bool { return r.ARN == s.ARN }) {
			left = append(left, Leftover{Kind: "db-snapshot", Name: s.ID})
		}
	}
	groups, err := FindLogGroups(ctx, t.Logs, t.Name, known)
	if err != nil {
		return nil, nil, err
	}
	for _, g := range groups {
		if !slices.ContainsFunc(tagged, func(r Tagged) bool { return logGroupFromARN(r.ARN) == g }) {
			left = append(left, Leftover{Kind: "log-group", Name: g})
		}
	}
	return left, retained, nil
}

func isNotFoundCode(err error) bool {
	var ae interface{ ErrorCode() string }
	return errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "NotFound")
}

// alreadyGone checks the kinds the tagging API is known to list for a
// while after they are deleted (its index is eventually consistent):
// stacks and buckets.
func (t *Teardown) alreadyGone(ctx context.Context, arn string) (bool, error) {
	switch {
	case strings.Contains(arn, ":cloudformation:") && strings.Contains(arn, ":stack/"):
		st, err := deploy.DescribeStack(ctx, t.CFN, arn)
		return st == nil, err
	case strings.Contains(arn, ":s3:::"):
		_, exists, err := CountObjects(ctx, t.S3, resourceName(arn))
		return !exists, err
	}
	return false, nil
}
