package deploy

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

// TestDescribeStackAbsentByNameAndDeletedByID: CloudFormation answers a
// name that has no live stack with ValidationError "Stack with id X does
// not exist" (boto/boto3#2807 quotes the wire answer), and a stack looked
// up by its ID after deletion with status DELETE_COMPLETE (DescribeStacks
// API reference, StackName: "Deleted stacks: You must specify the unique
// stack ID"). Both are "absent" for every caller.
func TestDescribeStackAbsentByNameAndDeletedByID(t *testing.T) {
	ctx := context.Background()
	f := cfnfake.New()
	f.SetStepGap(0)
	f.Seed("demo-api", "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n", nil, nil, types.StackStatusCreateComplete)

	st, err := DescribeStack(ctx, f, "demo-api")
	if err != nil || st == nil || st.StackStatus != types.StackStatusCreateComplete {
		t.Fatalf("live stack: %+v, %v", st, err)
	}
	id := aws.ToString(st.StackId)
	if st, err := DescribeStack(ctx, f, "demo-nothing"); st != nil || err != nil {
		t.Fatalf("missing stack: want nil, nil; got %+v, %v", st, err)
	}
	if _, err := f.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("demo-api")}); err != nil {
		t.Fatal(err)
	}
	if out, err := f.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(id)}); err != nil || out.Stacks[0].StackStatus != types.StackStatusDeleteComplete {
		t.Fatalf("the fake should describe a deleted stack by ID as DELETE_COMPLETE: %+v, %v", out, err)
	}
	for _, ref := range []string{"demo-api", id} {
		if st, err := DescribeStack(ctx, f, ref); st != nil || err != nil {
			t.Errorf("deleted stack by %s: want nil, nil; got %+v, %v", ref, st, err)
		}
	}
}

func TestDescribeStackPassesOtherErrorsOn(t *testing.T) {
	f := cfnfake.New()
	f.Throttle("DescribeStacks", 1)
	_, err := DescribeStack(context.Background(), f, "demo-api")
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" {
		t.Fatalf("want the throttling error, got %v", err)
	}
}

func TestIsStackNotFoundOnlyForMissingStacks(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id demo does not exist"}, true},
		{&smithy.GenericAPIError{Code: "ValidationError", Message: "Template format error: unresolved resource dependencies"}, false},
		{&smithy.GenericAPIError{Code: "ChangeSetNotFound", Message: "ChangeSet [x] does not exist"}, false},
		{errors.New("stack demo does not exist"), false},
		{nil, false},
	} {
		if got := IsStackNotFound(c.err); got != c.want {
			t.Errorf("IsStackNotFound(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
