package deploy

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// DescribeStacksAPI is the one CloudFormation call DescribeStack needs;
// *cloudformation.Client and every CloudFormationAPI satisfy it.
type DescribeStacksAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// DescribeStack returns the stack named (or with the ID) nameOrID, or nil
// when it does not exist. A stack looked up by ID after its deletion is
// returned by CloudFormation as DELETE_COMPLETE; that counts as absent
// too. Every package that asks "is this stack there?" asks it here.
func DescribeStack(ctx context.Context, api DescribeStacksAPI, nameOrID string) (*types.Stack, error) {
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(nameOrID)})
	if IsStackNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(out.Stacks) == 0 || out.Stacks[0].StackStatus == types.StackStatusDeleteComplete {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// IsStackNotFound recognises CloudFormation's answer for a stack that does
// not exist: a ValidationError "Stack with id X does not exist" (there is
// no dedicated error code although the API reference suggests one: the
// wire answer is quoted in boto/boto3#2807, and
// aws-actions/aws-cloudformation-github-deploy#129 makes the same check).
func IsStackNotFound(err error) bool {
	return err != nil && apiCode(err) == "ValidationError" && strings.Contains(apiMessage(err), "does not exist")
}
