package awslookup

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func motoEnv(t *testing.T) *mototest.Server {
	t.Helper()
	srv := mototest.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
	t.Setenv("AWS_PROFILE", "")
	return srv
}

func TestSourceRegionsFromEC2(t *testing.T) {
	srv := motoEnv(t)
	got, err := Source{EndpointURL: srv.URL}.Regions(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, "eu-west-1") || !slices.Contains(got, "us-east-1") || !slices.IsSorted(got) {
		t.Fatalf("regions = %v, want a sorted list with eu-west-1 and us-east-1", got)
	}
}

func TestSourceDomainsListsEveryDomain(t *testing.T) {
	srv := motoEnv(t)
	ctx := context.Background()
	cfg, err := awsx.Load(ctx, awsx.Options{Region: mototest.Region, EndpointURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	sm := sagemaker.NewFromConfig(cfg)
	for _, name := range []string{"abcdef123456", "team000000aa"} {
		_, err := sm.CreateDomain(ctx, &sagemaker.CreateDomainInput{
			DomainName:          aws.String(name),
			AuthMode:            "IAM",
			VpcId:               aws.String("vpc-12345678"),
			SubnetIds:           []string{"subnet-12345678"},
			DefaultUserSettings: &types.UserSettings{ExecutionRole: aws.String("arn:aws:iam::123456789012:role/studio")},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := Source{EndpointURL: srv.URL}.Domains(ctx, "", mototest.Region)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, d := range got {
		ids = append(ids, d.ID+"/"+d.Name)
	}
	slices.Sort(ids)
	want := []string{"d-abcdef123456/abcdef123456", "d-team000000aa/team000000aa"}
	if !slices.Equal(ids, want) {
		t.Fatalf("domains = %v, want %v", ids, want)
	}
}

func TestSourceFailsWithoutCredentials(t *testing.T) {
	srv := motoEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	if _, err := (Source{EndpointURL: srv.URL}).Domains(context.Background(), "", mototest.Region); err == nil {
		t.Fatal("Domains without credentials succeeded")
	}
	if _, err := (Source{EndpointURL: srv.URL}).Regions(context.Background(), "missing-profile", ""); err == nil {
		t.Fatal("Regions with an unknown profile succeeded")
	}
}
