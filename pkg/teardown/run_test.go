package teardown_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
	"github.com/mlflowctl/mlflowctl/pkg/sagemaker"
	"github.com/mlflowctl/mlflowctl/pkg/teardown"
	"github.com/mlflowctl/mlflowctl/pkg/teardown/teardowntest"
)

// These tests run a whole `down`: S3, ECR, RDS, EC2, EFS, CloudWatch Logs
// and the tagging API in moto_server; the Studio API in sagemakerfake
// (moto lacks profiles, spaces and apps); CloudFormation in the in-memory
// cfnfake, whose stacks own those resources and fail to delete the way
// AWS does.

type progress struct {
	mu    sync.Mutex
	lines []string
}

func (p *progress) log(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, line)
}

func (p *progress) index(substr string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.IndexFunc(p.lines, func(l string) bool { return strings.Contains(l, substr) })
}

func (p *progress) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

func plan(t *testing.T, td *teardown.Teardown) teardown.Plan {
	t.Helper()
	p, err := td.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDownDeletesStudioFirstThenEverything: the order of `down` against
// the AWS rules it rests on. Studio apps, spaces and profiles go first:
// DeleteUserProfile and DeleteDomain refuse while a profile has apps or
// spaces (ResourceInUse;
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteUserProfile.html,
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteDomain.html).
// Buckets are emptied, versions and delete markers included, before their
// stack (DeleteBucket refuses a non-empty bucket:
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html),
// and repositories before theirs (DeleteRepository refuses one with images
// unless forced:
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRepository.html).
// The user pool's deletion protection is lifted before the api stack
// (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-deletion-protection.html).
// Stacks go dependents first: CloudFormation refuses to delete a stack
// whose export another stack imports
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html).
// The stand-ins refuse as AWS does (cfnfake's resources, moto's S3 and
// ECR, sagemakerfake), so breaking any step fails this test.
func TestDownDeletesStudioFirstThenEverything(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{ArtifactObjects: 40})
	var pr progress
	td := w.Teardown(teardown.Options{Log: pr.log})
	p := plan(t, td)
	var out bytes.Buffer
	if err := teardown.WritePlan(&out, p); err != nil {
		t.Fatal(err)
	}
	t.Logf("plan:\n%s", out.String())
	if len(p.Stacks) != 5 || len(p.Buckets) != 3 || len(p.Repositories) != 3 || p.Studio == nil ||
		len(p.Studio.Profiles) != 3 || len(p.Studio.Apps) != 7 || len(p.Studio.Spaces) != 1 {
		t.Fatalf("plan: %d stacks, %d buckets, %d repositories, studio %+v", len(p.Stacks), len(p.Buckets), len(p.Repositories), p.Studio)
	}
	for _, b := range p.Buckets {
		if b.Name == w.ArtifactBucket && b.Objects != 40+8 {
			t.Fatalf("artifact bucket counted %d objects; want 40 versions + 8 delete markers", b.Objects)
		}
	}
	for _, r := range p.Repositories {
		if r.Images != 2 {
			t.Fatalf("repository %s counted %d images, want 2", r.Name, r.Images)
		}
	}
	res, err := runDown(context.Background(), td)
	t.Logf("progress:\n%s", pr.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Leftovers) != 0 || len(res.Kept) != 0 {
		t.Fatalf("result %+v", res)
	}
	if first, appsDone := pr.index("stack demo-"), pr.index("all 7 apps deleted"); appsDone < 0 || first < appsDone {
		t.Fatal("a stack was deleted before every Studio app was")
	}
	assertGone(t, w)
	again := plan(t, w.Teardown(teardown.Options{}))
	if !again.Empty() {
		t.Fatalf("a second plan is not empty: %+v", again)
	}
}

// assertGone checks AWS directly, not through teardown.
func assertGone(t *testing.T, w *teardowntest.World) {
	t.Helper()
	ctx := context.Background()
	if names := w.CFN.Names(); len(names) != 0 {
		t.Fatalf("stacks left: %v", names)
	}
	if w.SM.HasDomain(w.DomainID) {
		t.Fatal("the Studio domain is still there")
	}
	buckets, _ := w.S3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if len(buckets.Buckets) != 0 {
		t.Fatalf("%d buckets left", len(buckets.Buckets))
	}
	fss, _ := w.EFS.DescribeFileSystems(ctx, &efs.DescribeFileSystemsInput{})
	if len(fss.FileSystems) != 0 {
		t.Fatal("the domain's home EFS is still there")
	}
	// Manual ones only: AWS removes automated backups with the cluster by
	// default; moto keeps them.
	snaps, _ := w.RDS.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{SnapshotType: aws.String("manual")})
	if len(snaps.DBClusterSnapshots) != 0 {
		t.Fatalf("DB snapshot %s left", *snaps.DBClusterSnapshots[0].DBClusterSnapshotIdentifier)
	}
	groups, _ := w.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if len(groups.LogGroups) != 0 {
		t.Fatalf("log group %s left", *groups.LogGroups[0].LogGroupName)
	}
	if _, err := w.Cognito.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(w.UserPoolID)}); err == nil {
		t.Fatal("the Cognito user pool is still there")
	}
	sgs, _ := w.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{"security-group-for-*"}}}})
	if len(sgs.SecurityGroups) != 0 {
		t.Fatal("the domain's NFS security groups are still there")
	}
}

func TestStackDeleteFailsOnceThenReRunCompletes(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{})
	w.CFN.Script("demo-api", cfnfake.Outcome{FailID: "RestApi", Reason: "Internal failure while deleting the REST API"})
	var pr progress
	_, err := runDown(context.Background(), w.Teardown(teardown.Options{Log: pr.log}))
	var df *deploy.DeleteFailedError
	if !errors.As(err, &df) || df.Name != "demo-api" || !strings.Contains(err.Error(), "RestApi (AWS::ApiGateway::RestApi)") ||
		!strings.Contains(err.Error(), "Internal failure") || !strings.Contains(df.Hint(), "run the command again") {
		t.Fatalf("want the engine's delete failure naming demo-api's RestApi and what to do, got %v", err)
	}
	if got := w.CFN.Names(); !slices.Equal(got, []string{"demo-api", "demo-bootstrap", "demo-server"}) {
		t.Fatalf("after the failure the stacks are %v; want the failed one and those it depends on", got)
	}
	second := plan(t, w.Teardown(teardown.Options{}))
	if (second.Studio != nil && !second.Studio.Empty()) || len(second.Stacks) != 3 {
		t.Fatalf("second plan: %+v", second)
	}
	if _, err := runDown(context.Background(), w.Teardown(teardown.Options{Log: pr.log})); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if d := w.CFN.Deletes(); d["demo-api"] != 2 || d["demo-studio"] != 1 {
		t.Fatalf("DeleteStack calls %v: the re-run should retry demo-api only", d)
	}
	assertGone(t, w)
}

func TestProtectedStackIsUnprotectedThenDeleted(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{})
	w.CFN.Protect("demo-server")
	td := w.Teardown(teardown.Options{})
	if _, err := runDown(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	assertGone(t, w)
}

func TestKeepDataKeepsArtifactsAndTheFinalSnapshot(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{ArtifactObjects: 10})
	var pr progress
	td := w.Teardown(teardown.Options{KeepData: true, Log: pr.log})
	res, err := runDown(context.Background(), td)
	if err != nil {
		t.Fatalf("%v\n%s", err, pr.String())
	}
	want := []teardown.Kept{{Kind: "bucket", Name: w.ArtifactBucket}, {Kind: "db-snapshot", Name: w.DBCluster + "-final-snapshot"}}
	if !slices.Equal(res.Kept, want) {
		t.Fatalf("kept %+v, want %+v", res.Kept, want)
	}
	if len(res.Leftovers) != 0 {
		t.Fatalf("leftovers besides what is kept: %+v", res.Leftovers)
	}
	n, exists, err := teardown.CountObjects(context.Background(), w.S3, w.ArtifactBucket)
	if err != nil || !exists || n != 12 {
		t.Fatalf("artifact bucket after --keep-data: %d objects, exists %v, %v", n, exists, err)
	}
	if names := w.CFN.Names(); len(names) != 0 {
		t.Fatalf("stacks left: %v", names)
	}
	var out bytes.Buffer
	_ = teardown.WriteKept(&out, res.Kept)
	if !strings.Contains(out.String(), w.ArtifactBucket) || !strings.Contains(out.String(), w.DBCluster+"-final-snapshot") {
		t.Fatalf("the result does not list what was kept by name:\n%s", out.String())
	}
	// A later `down` without --keep-data removes what was kept.
	later := w.Teardown(teardown.Options{Log: pr.log})
	if _, err := runDown(context.Background(), later); err != nil {
		t.Fatal(err)
	}
	assertGone(t, w)
}

func TestExistingDomainKeepsOtherProfiles(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{ExistingDomain: true, OtherProfiles: []string{"data-scientist"}})
	td := w.Teardown(teardown.Options{})
	p := plan(t, td)
	if p.Studio.OtherProfiles != 1 || slices.Contains(p.Studio.Profiles, "data-scientist") {
		t.Fatalf("plan reaches other profiles: %+v", p.Studio)
	}
	if _, err := runDown(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	if !w.SM.HasDomain(w.DomainID) {
		t.Fatal("the existing domain was deleted")
	}
	if got := w.SM.Profiles(w.DomainID); !slices.Equal(got, []string{"data-scientist"}) {
		t.Fatalf("profiles left %v, want data-scientist only", got)
	}
	if s := w.SM.AppStatus(w.DomainID, "instance-mlflow-basepython-data-scientist"); s != "InService" {
		t.Fatalf("another user's app is %s", s)
	}
}

// TestStuckAppStopsBeforeAnyStack: an app that does not finish deleting
// keeps its profile and domain undeletable (DeleteUserProfile refuses while
// apps exist:
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteUserProfile.html),
// so down stops, naming the app, before it touches any stack, and a re-run
// finishes once the app is gone.
func TestStuckAppStopsBeforeAnyStack(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{})
	w.SM.Stick(w.DomainID, "instance-mlflow-basepython-mlflow-reader")
	td := w.Teardown(teardown.Options{})
	_, err := runDown(context.Background(), td)
	var stuck *sagemaker.StuckError
	if !errors.As(err, &stuck) || !strings.Contains(err.Error(), "instance-mlflow-basepython-mlflow-reader") {
		t.Fatalf("want the stuck app named, got %v", err)
	}
	if len(w.CFN.Deletes()) != 0 {
		t.Fatalf("stacks were deleted while an app was stuck: %v", w.CFN.Deletes())
	}
	// Once the app is unstuck, running down again finishes the job.
	w.SM.Release(w.DomainID, "instance-mlflow-basepython-mlflow-reader")
	again := w.Teardown(teardown.Options{})
	p := plan(t, again)
	if p.Studio == nil || len(p.Studio.Profiles) != 3 || len(p.Studio.Apps) != 0 || len(p.Stacks) != 5 {
		t.Fatalf("second plan should hold the profiles and every stack, no app: %+v", p.Studio)
	}
	if _, err := runDown(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	assertGone(t, w)
}

func TestDownOnNothing(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{})
	td := w.Teardown(teardown.Options{})
	td.Name = "absent"
	p := plan(t, td)
	if !p.Empty() {
		t.Fatalf("deployment absent has a plan: %+v", p)
	}
	var out bytes.Buffer
	_ = teardown.WritePlan(&out, p)
	if !strings.Contains(out.String(), "Nothing to delete") {
		t.Fatalf("plan text: %s", out.String())
	}
}

func TestLeftoverScanFailsOnTaggedLeftovers(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{})
	c := newClients(srv.URL)
	topic, err := c.sns.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String("demo-alarms"),
		Tags: []snstypes.Tag{{Key: aws.String(teardown.TagDeployment), Value: aws.String("demo")}}})
	if err != nil {
		t.Fatal(err)
	}
	td := w.Teardown(teardown.Options{})
	res, err := runDown(context.Background(), td)
	var le *teardown.LeftoversError
	if !errors.As(err, &le) || len(res.Leftovers) != 1 || res.Leftovers[0].Name != *topic.TopicArn {
		t.Fatalf("want exactly the tagged topic reported, got %+v, %v", res.Leftovers, err)
	}
	p := plan(t, w.Teardown(teardown.Options{}))
	if p.Empty() || len(p.Leftovers) != 1 {
		t.Fatalf("a re-run's plan should show the leftover: %+v", p)
	}
}

func TestRetainedOnPurposeIsKeptNotLeftOver(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{})
	c := newClients(srv.URL)
	shared, err := c.sns.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String("shared-by-every-deployment"),
		Tags: []snstypes.Tag{{Key: aws.String(teardown.TagDeployment), Value: aws.String("demo")},
			{Key: aws.String(teardown.TagRetained), Value: aws.String("shared")}}})
	if err != nil {
		t.Fatal(err)
	}
	td := w.Teardown(teardown.Options{})
	res, err := runDown(context.Background(), td)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Kept) != 1 || res.Kept[0].Name != *shared.TopicArn || len(res.Leftovers) != 0 {
		t.Fatalf("result %+v: want the retained resource listed as kept", res)
	}
}

// Log groups and snapshots of deployment demo-dev share demo's name as a
// prefix; tearing down demo must not touch them.
func TestAnotherDeploymentsLeftoversStay(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{})
	ctx := context.Background()
	others := []string{"/mlflowctl/demo-dev/server", "/aws/lambda/demo-dev-api-AuthorizerFunction-Z9", "/aws/lambda/demo-api-AuthorizerFunction-X1Y2-other"}
	for _, g := range others {
		if _, err := w.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	td := w.Teardown(teardown.Options{})
	if _, err := runDown(ctx, td); err != nil {
		t.Fatal(err)
	}
	out, err := w.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, g := range out.LogGroups {
		left = append(left, *g.LogGroupName)
	}
	slices.Sort(left)
	slices.Sort(others)
	if !slices.Equal(left, others) {
		t.Fatalf("log groups after down: %v; want exactly the other deployment's %v", left, others)
	}
}

// runDown is a whole `down` of td's deployment, answered yes: the
// recipe is app.Down.Run's, the mechanisms are teardown's.
func runDown(ctx context.Context, td *teardown.Teardown) (teardown.Result, error) {
	d := &app.Down{Teardown: td, UI: app.DownUI{
		ShowPlan: func(teardown.Plan) error { return nil },
		Confirm:  func(context.Context) (bool, error) { return true, nil },
		Changing: func() {},
	}}
	res, err := d.Run(ctx)
	return res.Result, err
}

// A run stopped after the stacks were gone but before the domain's home
// EFS was (a Ctrl-C in the storage clean-up, or an EFS error): the file
// system, tagged by MarkDomainStorage, outlives its VPC (a file system
// without mount targets needs none). The next `down` finds no stack, so
// no stack's preparation cleans it: the step after the stacks does.
// SageMaker keeps a deleted domain's home EFS by default
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteDomain.html,
// RetentionPolicy HomeEfsFileSystem "Retain").
func TestDomainStorageLeftByAnEarlierRunIsCleanedWithoutStacks(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{})
	ctx := context.Background()
	fs, err := w.EFS.CreateFileSystem(ctx, &efs.CreateFileSystemInput{CreationToken: aws.String("left-home"), Tags: []efstypes.Tag{
		{Key: aws.String(teardown.TagDeployment), Value: aws.String("gone")},
		{Key: aws.String(sagemaker.TagDomain), Value: aws.String("d-gone0000")}}})
	if err != nil {
		t.Fatal(err)
	}
	td := w.Teardown(teardown.Options{})
	td.Name = "gone"
	p := plan(t, td)
	if len(p.Stacks) != 0 || p.Empty() {
		t.Fatalf("plan of a deployment with only its domain's EFS left: %+v", p)
	}
	if _, err := runDown(ctx, td); err != nil {
		t.Fatal(err)
	}
	out, err := w.EFS.DescribeFileSystems(ctx, &efs.DescribeFileSystemsInput{FileSystemId: fs.FileSystemId})
	if err == nil && len(out.FileSystems) != 0 {
		t.Fatalf("the domain's home EFS %s is still there", aws.ToString(fs.FileSystemId))
	}
}

// A Ctrl-C during down (ctx cancelled while the stacks are deleted)
// stops cleanly: the engine's InterruptedError (exit code 130) says what
// was done and what is still running, nothing after the stacks runs, and
// `down` run again finishes from what is left.
func TestCtrlCDuringDownStopsCleanlyAndAReRunFinishes(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pr progress
	td := w.Teardown(teardown.Options{Log: func(line string) {
		pr.log(line)
		if strings.Contains(line, "deletion protection of user pool") { // demo-api's preparation
			cancel()
		}
	}})
	_, err := runDown(ctx, td)
	var ie *deploy.InterruptedError
	if !errors.As(err, &ie) || ie.ExitCode() != 130 || !strings.Contains(err.Error(), "demo-api") {
		t.Fatalf("want the engine's interrupt naming demo-api, got %v\n%s", err, pr.String())
	}
	if pr.index("leftover scan") >= 0 || pr.index("deleting log group") >= 0 {
		t.Fatalf("steps after the stacks ran after the interrupt:\n%s", pr.String())
	}
	left := w.CFN.Names()
	if !slices.Contains(left, "demo-server") || !slices.Contains(left, "demo-bootstrap") || slices.Contains(left, "demo-studio") {
		t.Fatalf("after the interrupt the stacks are %v; want studio gone, server and bootstrap left", left)
	}
	t.Logf("interrupted: %v; stacks left %v", err, left)
	if _, err := runDown(context.Background(), w.Teardown(teardown.Options{})); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	assertGone(t, w)
}
