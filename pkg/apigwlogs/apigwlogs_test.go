package apigwlogs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// fakeAWS stands in for API Gateway's GetAccount/UpdateAccount and IAM's
// GetRole/CreateRole/AttachRolePolicy. It models the one behaviour this
// package exists for: UpdateAccount refuses a role for a while after the
// role is created (IAM propagation), with the message API Gateway gives
// (aws-cdk#2194). It does not check the trust policy or the attached
// policy beyond recording them.
type fakeAWS struct {
	accountRole   string
	roleExists    bool
	refusals      int // UpdateAccount calls refused before one succeeds
	otherErr      error
	calls         []string
	trust, policy string
	retainedTag   string
}

func (f *fakeAWS) GetAccount(context.Context, *apigateway.GetAccountInput, ...func(*apigateway.Options)) (*apigateway.GetAccountOutput, error) {
	f.calls = append(f.calls, "GetAccount")
	return &apigateway.GetAccountOutput{CloudwatchRoleArn: aws.String(f.accountRole)}, nil
}

func (f *fakeAWS) UpdateAccount(_ context.Context, in *apigateway.UpdateAccountInput, _ ...func(*apigateway.Options)) (*apigateway.UpdateAccountOutput, error) {
	f.calls = append(f.calls, "UpdateAccount")
	if f.otherErr != nil {
		return nil, f.otherErr
	}
	if f.refusals > 0 {
		f.refusals--
		return nil, &smithy.GenericAPIError{Code: "BadRequestException", Message: "The role ARN does not have required permissions set to API Gateway"}
	}
	f.accountRole = aws.ToString(in.PatchOperations[0].Value)
	return &apigateway.UpdateAccountOutput{}, nil
}

const roleARN = "arn:aws:iam::123456789012:role/" + RoleName

func (f *fakeAWS) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	f.calls = append(f.calls, "GetRole")
	if !f.roleExists {
		return nil, &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "The role with name " + RoleName + " cannot be found."}
	}
	return &iam.GetRoleOutput{Role: &iamtypes.Role{Arn: aws.String(roleARN)}}, nil
}

func (f *fakeAWS) CreateRole(_ context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	f.calls = append(f.calls, "CreateRole")
	f.roleExists, f.trust = true, aws.ToString(in.AssumeRolePolicyDocument)
	for _, tag := range in.Tags {
		if aws.ToString(tag.Key) == "mlflowctl:retained" {
			f.retainedTag = aws.ToString(tag.Value)
		}
	}
	return &iam.CreateRoleOutput{Role: &iamtypes.Role{Arn: aws.String(roleARN)}}, nil
}

func (f *fakeAWS) AttachRolePolicy(_ context.Context, in *iam.AttachRolePolicyInput, _ ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error) {
	f.calls = append(f.calls, "AttachRolePolicy")
	f.policy = aws.ToString(in.PolicyArn)
	return &iam.AttachRolePolicyOutput{}, nil
}

func ensurer(f *fakeAWS, waits *[]time.Duration) *Ensurer {
	return &Ensurer{APIGateway: f, IAM: f, Region: "us-east-1", Wait: func(_ context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return nil
	}}
}

// TestKeepsTheAccountsRole: an account that already logs through a role
// keeps it; nothing in IAM or API Gateway changes.
func TestKeepsTheAccountsRole(t *testing.T) {
	f := &fakeAWS{accountRole: "arn:aws:iam::123456789012:role/their-own"}
	var waits []time.Duration
	arn, err := ensurer(f, &waits).Ensure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if arn != f.accountRole || strings.Join(f.calls, ",") != "GetAccount" {
		t.Fatalf("got %s after calls %v, want the account's role and GetAccount only", arn, f.calls)
	}
}

// TestRetriesWhileTheNewRolePropagates: on a fresh account the new role is
// refused by UpdateAccount for a while; Ensure retries until it is taken.
func TestRetriesWhileTheNewRolePropagates(t *testing.T) {
	f := &fakeAWS{refusals: 4}
	var waits []time.Duration
	arn, err := ensurer(f, &waits).Ensure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if arn != roleARN || f.accountRole != roleARN {
		t.Fatalf("account role %q, returned %q, want %s", f.accountRole, arn, roleARN)
	}
	if len(waits) != 4 {
		t.Errorf("waited %d times (%v), want 4", len(waits), waits)
	}
	if strings.Contains(f.trust, "Condition") || !strings.Contains(f.trust, "apigateway.amazonaws.com") {
		t.Errorf("trust policy %s: want API Gateway as principal and no condition", f.trust)
	}
	if f.retainedTag != "shared" {
		t.Errorf("role tag mlflowctl:retained = %q: down's leftover scan must know it stays on purpose", f.retainedTag)
	}
	if f.policy != "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs" {
		t.Errorf("attached %s", f.policy)
	}
}

// TestReusesTheRoleOfAnEarlierRun: the role exists (another region or an
// earlier run) but the account setting is empty: no second CreateRole.
func TestReusesTheRoleOfAnEarlierRun(t *testing.T) {
	f := &fakeAWS{roleExists: true}
	var waits []time.Duration
	if _, err := ensurer(f, &waits).Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(f.calls, ","), "CreateRole") {
		t.Fatalf("calls %v create the role again", f.calls)
	}
}

// TestGivesUpWithTheCauseAfterTheTimeout: a role that never propagates
// ends in an error that names the cause and what to do.
func TestGivesUpWithTheCauseAfterTheTimeout(t *testing.T) {
	f := &fakeAWS{refusals: 1000}
	var waits []time.Duration
	_, err := ensurer(f, &waits).Ensure(context.Background())
	if err == nil || !strings.Contains(err.Error(), "required permissions") || !strings.Contains(err.Error(), "run mlflowctl up again") {
		t.Fatalf("err = %v", err)
	}
	var total time.Duration
	for _, w := range waits {
		total += w
	}
	if total < 2*time.Minute || total > 3*time.Minute {
		t.Errorf("waited %s in all, want about two minutes", total)
	}
}

// TestOtherErrorsAreNotRetried: access denied is not a propagation delay.
func TestOtherErrorsAreNotRetried(t *testing.T) {
	f := &fakeAWS{otherErr: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: apigateway:PATCH"}}
	var waits []time.Duration
	_, err := ensurer(f, &waits).Ensure(context.Background())
	if err == nil || len(waits) != 0 {
		t.Fatalf("err %v after %d waits, want the error at once", err, len(waits))
	}
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{"eu-west-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov"} {
		if got := Partition(region); got != want {
			t.Errorf("Partition(%s) = %s, want %s", region, got, want)
		}
	}
}
