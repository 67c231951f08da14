package cognito

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"

	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// StacksAPI is the part of the CloudFormation client that finds the pool.
type StacksAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// APIStackName is the CloudFormation stack of a deployment that holds its
// user pool.
func APIStackName(deployment string) string {
	return deployment + "-" + stacks.API
}

// FindUserPoolID reads the user pool id from the outputs of the
// deployment's api stack. A missing stack or output is an InputError that
// tells the user to deploy first.
func FindUserPoolID(ctx context.Context, cfn StacksAPI, deployment string) (string, error) {
	name := APIStackName(deployment)
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if isStackMissing(err) {
		return "", noPool(deployment, fmt.Sprintf("its stack %s does not exist", name))
	}
	if err != nil {
		return "", fmt.Errorf("read stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return "", noPool(deployment, fmt.Sprintf("its stack %s does not exist", name))
	}
	stack := out.Stacks[0]
	for _, o := range stack.Outputs {
		if aws.ToString(o.OutputKey) == stacks.OutUserPoolID && aws.ToString(o.OutputValue) != "" {
			return aws.ToString(o.OutputValue), nil
		}
	}
	return "", noPool(deployment, fmt.Sprintf("its stack %s (%s) has no output %s",
		name, stack.StackStatus, stacks.OutUserPoolID))
}

func noPool(deployment, why string) error {
	return inputErrorf("no user pool for deployment %q: %s.\nRun `mlflowctl up --name %s` to deploy it, or pass --user-pool-id to name a pool",
		deployment, why, deployment)
}

// isStackMissing recognises CloudFormation's answer for an unknown stack
// name, which is a generic ValidationError.
func isStackMissing(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" &&
		strings.Contains(ae.ErrorMessage(), "does not exist")
}
