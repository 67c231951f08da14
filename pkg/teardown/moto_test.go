package teardown_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/teardown"
)

func TestMain(m *testing.M) { mototest.Main(m) }

var creds = credentials.NewStaticCredentialsProvider("testing", "testing", "")

// clients are aws-sdk-go-v2 clients pointed at one endpoint (moto_server).
type clients struct {
	s3      *s3.Client
	ecr     *ecr.Client
	cfn     *cloudformation.Client
	tagging *tagging.Client
	sns     *sns.Client
}

func newClients(url string) clients {
	ep, r := aws.String(url), mototest.Region
	return clients{
		s3:  s3.New(s3.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1, UsePathStyle: true}),
		ecr: ecr.New(ecr.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1}),
		cfn: cloudformation.New(cloudformation.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1}),
		// moto_server once answered GetResources with HTTP 500 under load; retry.
		tagging: tagging.New(tagging.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 3}),
		sns:     sns.New(sns.Options{Region: r, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1}),
	}
}

// countingS3 records the size of every DeleteObjects batch.
type countingS3 struct {
	teardown.S3API
	mu      sync.Mutex
	batches []int
}

func (c *countingS3) DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	c.mu.Lock()
	c.batches = append(c.batches, len(in.Delete.Objects))
	c.mu.Unlock()
	return c.S3API.DeleteObjects(ctx, in, opts...)
}

// fillVersioned puts n objects into a versioned bucket, overwrites every
// tenth (two versions) and deletes every seventh (a delete marker).
// It returns the number of versions plus delete markers.
func fillVersioned(t *testing.T, c *s3.Client, bucket string, n int) int {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	total := 0
	err := parallel(8, n, func(i int) error {
		key := fmt.Sprintf("runs/%04d/artifact.txt", i)
		puts := 1
		if i%10 == 0 {
			puts = 2
		}
		for range puts {
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("x")}); err != nil {
				return err
			}
		}
		added := puts
		if i%7 == 0 {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
				return err
			}
			added++
		}
		mu.Lock()
		total += added
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

func parallel(n, count int, fn func(i int) error) error {
	sem := make(chan struct{}, n)
	errs := make(chan error, count)
	var wg sync.WaitGroup
	for i := range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs <- fn(i)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestEmptyVersionedBucketInBatches: DeleteBucket refuses a bucket that
// still holds objects, object versions or delete markers
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html),
// and DeleteObjects takes at most 1,000 keys a call
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
func TestEmptyVersionedBucketInBatches(t *testing.T) {
	srv := mototest.Start(t)
	c := newClients(srv.URL)
	ctx := context.Background()
	want := fillVersioned(t, c.s3, "demo-artifacts", 1050)
	n, exists, err := teardown.CountObjects(ctx, c.s3, "demo-artifacts")
	if err != nil || !exists || n != want {
		t.Fatalf("count = %d (exists %v, %v); want %d versions and delete markers", n, exists, err, want)
	}
	api := &countingS3{S3API: c.s3}
	deleted, err := teardown.EmptyBucket(ctx, api, "demo-artifacts", nil)
	if err != nil {
		t.Fatal(err)
	}
	if deleted != want {
		t.Fatalf("deleted %d, want %d", deleted, want)
	}
	if len(api.batches) < 2 || slices.Max(api.batches) > 1000 {
		t.Fatalf("DeleteObjects batches %v: want several, none over 1,000", api.batches)
	}
	if n, _, _ := teardown.CountObjects(ctx, c.s3, "demo-artifacts"); n != 0 {
		t.Fatalf("%d versions left", n)
	}
	if _, err := c.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("demo-artifacts")}); err != nil {
		t.Fatalf("the emptied bucket cannot be deleted: %v", err)
	}
	if n, exists, err := teardown.CountObjects(ctx, c.s3, "demo-artifacts"); n != 0 || exists || err != nil {
		t.Fatalf("a missing bucket: %d %v %v", n, exists, err)
	}
}

func putImages(t *testing.T, c *ecr.Client, repo string, tags ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)}); err != nil {
		t.Fatal(err)
	}
	for i, tag := range tags {
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%064d"},"layers":[]}`, i+1, i+1)
		if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageTag: aws.String(tag), ImageManifest: aws.String(manifest)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEmptyRepository: DeleteRepository refuses a repository that holds
// images unless forced
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRepository.html);
// down deletes the images first, so nothing is force-deleted by surprise.
func TestEmptyRepository(t *testing.T) {
	srv := mototest.Start(t)
	c := newClients(srv.URL)
	ctx := context.Background()
	putImages(t, c.ecr, "demo-server", "3.10.0-abc", "3.10.0-def", "3.11.0-123")
	uri := mototest.Account + ".dkr.ecr.us-east-1.amazonaws.com/demo-server"
	if name := teardown.RepositoryName(uri); name != "demo-server" {
		t.Fatalf("RepositoryName(%q) = %q", uri, name)
	}
	if n, exists, err := teardown.CountImages(ctx, c.ecr, "demo-server"); err != nil || !exists || n == 0 {
		t.Fatalf("count: %d %v %v", n, exists, err)
	}
	if _, err := teardown.EmptyRepository(ctx, c.ecr, "demo-server", nil); err != nil {
		t.Fatal(err)
	}
	out, err := c.ecr.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("demo-server")})
	if err != nil || len(out.ImageIds) != 0 {
		t.Fatalf("images left: %v %v", out, err)
	}
	if _, err := c.ecr.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("demo-server")}); err != nil {
		t.Fatalf("the emptied repository cannot be deleted without force: %v", err)
	}
	if _, exists, err := teardown.CountImages(ctx, c.ecr, "demo-server"); exists || err != nil {
		t.Fatalf("a missing repository: %v %v", exists, err)
	}
}

const topicTemplate = `
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      Tags:
        - {Key: mlflowctl:deployment, Value: %s}
Outputs:
  TopicArn:
    Value: !Ref Topic
`

func createStack(t *testing.T, c *cloudformation.Client, deployment, id string) {
	t.Helper()
	_, err := c.CreateStack(context.Background(), &cloudformation.CreateStackInput{
		StackName:    aws.String(deployment + "-" + id),
		TemplateBody: aws.String(fmt.Sprintf(topicTemplate, deployment)),
		Tags: []cfntypes.Tag{
			{Key: aws.String(teardown.TagDeployment), Value: aws.String(deployment)},
			{Key: aws.String(teardown.TagStack), Value: aws.String(id)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The stacks are found from their tags alone and deleted by the deploy
// engine through CloudFormation (moto) in reverse dependency order, each
// hook first with the stack's outputs.
func TestFindAndDeleteStacksAgainstMoto(t *testing.T) {
	srv := mototest.Start(t)
	c := newClients(srv.URL)
	ctx := context.Background()
	for _, id := range []string{"bootstrap", "server", "api"} {
		createStack(t, c.cfn, "demo", id)
	}
	createStack(t, c.cfn, "demo-dev", "server")
	found, err := teardown.FindStacks(ctx, c.cfn, "demo")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range found {
		ids = append(ids, s.ID)
		if s.Outputs["TopicArn"] == "" {
			t.Fatalf("stack %s has no outputs", s.Name)
		}
	}
	if !slices.Equal(ids, []string{"api", "bootstrap", "server"}) {
		t.Fatalf("found %v; want demo's three stacks and not demo-dev's", ids)
	}
	d := teardown.Deployment("demo", found)
	var mu sync.Mutex
	var order []string
	for i := range d.Stacks {
		id := d.Stacks[i].ID
		d.Stacks[i].BeforeDelete = func(ctx context.Context, own map[string]string) error {
			mu.Lock()
			defer mu.Unlock()
			if own["TopicArn"] == "" {
				return fmt.Errorf("hook of %s got no outputs", id)
			}
			order = append(order, id)
			return nil
		}
	}
	engine := deploy.New(c.cfn, deploy.Options{Yes: true, PollMin: 10 * time.Millisecond, PollMax: 20 * time.Millisecond})
	del := &teardown.EngineDeleter{Engine: engine, CFN: c.cfn}
	if err := del.Delete(ctx, d); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []string{"api", "server", "bootstrap"}) {
		t.Fatalf("deleted in order %v; want api, server, bootstrap", order)
	}
	if left, _ := teardown.FindStacks(ctx, c.cfn, "demo"); len(left) != 0 {
		t.Fatalf("stacks left: %+v", left)
	}
	if other, _ := teardown.FindStacks(ctx, c.cfn, "demo-dev"); len(other) != 1 {
		t.Fatal("another deployment's stack was deleted")
	}
	if err := del.Delete(ctx, d); err != nil {
		t.Fatalf("deleting again should do nothing: %v", err)
	}
}

func TestTaggedResourcesThroughTheTaggingAPI(t *testing.T) {
	srv := mototest.Start(t)
	c := newClients(srv.URL)
	ctx := context.Background()
	topic, err := c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("demo-left"),
		Tags: []snstypes.Tag{{Key: aws.String(teardown.TagDeployment), Value: aws.String("demo")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("other"),
		Tags: []snstypes.Tag{{Key: aws.String(teardown.TagDeployment), Value: aws.String("demo-dev")}}}); err != nil {
		t.Fatal(err)
	}
	tagged, err := teardown.TaggedResources(ctx, c.tagging, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(tagged) != 1 || tagged[0].ARN != *topic.TopicArn || tagged[0].Retained != "" {
		t.Fatalf("tagged = %+v; want only %s", tagged, *topic.TopicArn)
	}
}

// Issue 22 item 3: a repository push-container made with --repository
// (tagged with the deployment, owned by no stack) was neither listed nor
// deleted by `down`. The plan lists it, the run deletes it with its
// images, and another deployment's repository is left alone.
func TestDownAccountsForPushedRepositories(t *testing.T) {
	srv := mototest.Start(t)
	c := newClients(srv.URL)
	ctx := context.Background()
	putImages(t, c.ecr, "cb-labs", "3.18.0") // creates the repository
	putImages(t, c.ecr, "other-labs", "3.18.0")
	for repo, dep := range map[string]string{"cb-labs": "cb", "other-labs": "other"} {
		arn := "arn:aws:ecr:" + mototest.Region + ":" + mototest.Account + ":repository/" + repo
		_, err := c.ecr.TagResource(ctx, &ecr.TagResourceInput{ResourceArn: aws.String(arn),
			Tags: []ecrtypes.Tag{{Key: aws.String(teardown.TagDeployment), Value: aws.String(dep)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	ep := aws.String(srv.URL)
	td := &teardown.Teardown{Name: "cb", CFN: c.cfn, S3: c.s3, ECR: c.ecr, Pushed: c.ecr, Tagging: c.tagging,
		RDS:  rds.New(rds.Options{Region: mototest.Region, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1}),
		Logs: cloudwatchlogs.New(cloudwatchlogs.Options{Region: mototest.Region, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})}
	plan, err := td.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Empty() || len(plan.Repositories) != 1 || plan.Repositories[0].Name != "cb-labs" || plan.Repositories[0].Images != 1 {
		t.Fatalf("plan %+v", plan.Repositories)
	}
	var text strings.Builder
	if err := teardown.WritePlan(&text, plan); err != nil || !strings.Contains(text.String(), "1 ECR repository:\n    cb-labs (made by push-container): 1 image") {
		t.Fatalf("plan text %v:\n%s", err, text.String())
	}
	if _, err := runDown(ctx, td); err != nil {
		t.Fatal(err)
	}
	out, err := c.ecr.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Repositories) != 1 || aws.ToString(out.Repositories[0].RepositoryName) != "other-labs" {
		t.Fatalf("repositories left: %v", out.Repositories)
	}
}
