package awslookup

import (
	"context"
	"slices"
	"strings"
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

// motoSource is the wizard's Source as `init --endpoint-url` builds it:
// clients from awsx.Connect under the emulator setting of the endpoint.
func motoSource(srv *mototest.Server) Source {
	em := awsx.EmulatorFor(srv.URL)
	return Source{Clients: func(ctx context.Context, profile, region string) (*awsx.Clients, error) {
		return awsx.Connect(ctx, awsx.Options{Profile: profile, Region: region, EndpointURL: srv.URL}, em)
	}}
}

func TestSourceRegionsFromEC2(t *testing.T) {
	srv := motoEnv(t)
	got, err := motoSource(srv).Regions(context.Background(), "", "")
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
	c, err := awsx.Connect(ctx, awsx.Options{Region: mototest.Region, EndpointURL: srv.URL}, awsx.EmulatorFor(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	sm := c.SageMaker()
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
	got, err := motoSource(srv).Domains(ctx, "", mototest.Region)
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
	if _, err := motoSource(srv).Domains(context.Background(), "", mototest.Region); err == nil {
		t.Fatal("Domains without credentials succeeded")
	}
	if _, err := motoSource(srv).Regions(context.Background(), "missing-profile", ""); err == nil {
		t.Fatal("Regions with an unknown profile succeeded")
	}
}

// The look-ups build no client of their own (issue 19 item 3): they ask
// Source.Clients for the profile and region the wizard is on, and the
// region list falls back to us-east-1 when the profile sets none.
func TestSourceTakesItsClientsFromClientsFor(t *testing.T) {
	srv := motoEnv(t)
	inner := motoSource(srv).Clients
	var asked []string
	s := Source{Clients: func(ctx context.Context, profile, region string) (*awsx.Clients, error) {
		asked = append(asked, profile+"@"+region)
		return inner(ctx, profile, region)
	}}
	ctx := context.Background()
	if _, err := s.Regions(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Domains(ctx, "", "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"@us-east-1", "@eu-west-1"}; !slices.Equal(asked, want) {
		t.Fatalf("clients asked for %v, want %v", asked, want)
	}
	if _, err := (Source{}).Regions(ctx, "", ""); err == nil || !strings.Contains(err.Error(), "Clients must be set") {
		t.Fatalf("a Source without clients: %v", err)
	}
}
