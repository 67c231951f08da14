package apigwlogs

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
)

// TestMain loads AWS managed policies into moto_server, which it skips by
// default: the role attaches AmazonAPIGatewayPushToCloudWatchLogs.
func TestMain(m *testing.M) {
	if err := os.Setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true"); err != nil {
		panic(err)
	}
	mototest.Main(m)
}

// TestEnsureAgainstMoto: the SDK calls as they go over the wire, against
// moto_server's API Gateway account and IAM (moto models neither the
// propagation delay nor the trust check; the fakes in apigwlogs_test.go
// do). A fresh account gets the role and the setting; a second run, and
// an account with its own role, change nothing.
func TestEnsureAgainstMoto(t *testing.T) {
	srv := mototest.Start(t)
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	ep := aws.String(srv.URL)
	ag := apigateway.New(apigateway.Options{Region: mototest.Region, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	im := iam.New(iam.Options{Region: mototest.Region, BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	e := &Ensurer{APIGateway: ag, IAM: im, Region: mototest.Region, Wait: func(context.Context, time.Duration) error { return nil }}
	ctx := context.Background()

	arn, err := e.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := ag.GetAccount(ctx, &apigateway.GetAccountInput{})
	if err != nil || aws.ToString(acct.CloudwatchRoleArn) != arn {
		t.Fatalf("account role %v (err %v), want %s", acct.CloudwatchRoleArn, err, arn)
	}
	attached, err := im.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(RoleName)})
	if err != nil || len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyName) != "AmazonAPIGatewayPushToCloudWatchLogs" {
		t.Fatalf("attached %+v (err %v)", attached, err)
	}
	again, err := e.Ensure(ctx)
	if err != nil || again != arn {
		t.Fatalf("second run: %s, %v", again, err)
	}

	theirs := "arn:aws:iam::123456789012:role/their-logging-role"
	e2 := *e
	e2.APIGateway = fixedAccount{APIGatewayAPI: ag, role: theirs}
	kept, err := e2.Ensure(ctx)
	if err != nil || kept != theirs {
		t.Fatalf("an account with its own role: got %s, %v", kept, err)
	}
}

// fixedAccount reports an account role as if the account had its own.
type fixedAccount struct {
	APIGatewayAPI
	role string
}

func (f fixedAccount) GetAccount(context.Context, *apigateway.GetAccountInput, ...func(*apigateway.Options)) (*apigateway.GetAccountOutput, error) {
	return &apigateway.GetAccountOutput{CloudwatchRoleArn: aws.String(f.role)}, nil
}

func (f fixedAccount) UpdateAccount(context.Context, *apigateway.UpdateAccountInput, ...func(*apigateway.Options)) (*apigateway.UpdateAccountOutput, error) {
	panic("an account with its own role must not be changed")
}
