package stacks

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// The real bootstrap template is one moto can create (its S3, ECR, IAM and
// Logs resources are supported; the bucket policy and CodeBuild project
// are skipped by moto): deploy it through the engine, read the outputs
// other stacks import, and find the bucket by the name the template gives.
// The other stacks use types moto cannot create (Aurora, Cognito, the
// authorizer, Amplify, SageMaker), so cfn-lint and checkov check them.
func TestBootstrapTemplateCreatesInMoto(t *testing.T) {
	srv := mototest.Start(t)
	ctx := context.Background()
	awsCfg := aws.Config{
		Region: mototest.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
	cfg := config.Defaults()
	cfg.Name = "motodemo"
	b, err := bootstrapStack(cfg)
	if err != nil {
		t.Fatal(err)
	}
	eng := deploy.New(cloudformation.NewFromConfig(awsCfg), deploy.Options{Version: "test", DirectCalls: true})
	outs, err := eng.Deploy(ctx, deploy.Deployment{Name: cfg.Name, Stacks: []deploy.Stack{b}})
	if err != nil {
		t.Fatal(err)
	}
	got := outs[Bootstrap]
	want := "motodemo-assets-" + mototest.Account + "-" + mototest.Region
	if got[OutAssetsBucket] != want {
		t.Fatalf("assets bucket output %q, want %q (outputs %v)", got[OutAssetsBucket], want, got)
	}
	if !strings.HasSuffix(got[OutServerRepositoryURI], "/motodemo-server") || !strings.HasSuffix(got[OutPyfuncRepositoryURI], "/motodemo-pyfunc") {
		t.Fatalf("repository outputs %v", got)
	}
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(want)}); err != nil {
		t.Fatalf("bucket %s not created: %v", want, err)
	}
	// Read finds the same outputs by name, and says when a stack is absent.
	read, found, err := Read(ctx, cloudformation.NewFromConfig(awsCfg), cfg.Name, Bootstrap)
	if err != nil || !found || read.Status != "CREATE_COMPLETE" || read.Outputs[OutAssetsBucket] != want {
		t.Fatalf("Read bootstrap: %+v found=%v err=%v", read, found, err)
	}
	if _, found, err := Read(ctx, cloudformation.NewFromConfig(awsCfg), cfg.Name, API); found || err != nil {
		t.Fatalf("Read of an absent stack: found=%v err=%v", found, err)
	}
	st, err := eng.Status(ctx, Skeleton(cfg.Name))
	if err != nil || !st[0].Exists || st[0].Status != "CREATE_COMPLETE" || st[1].Exists {
		t.Fatalf("status %+v, %v", st, err)
	}
}
