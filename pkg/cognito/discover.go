package cognito

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

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
	st, found, err := stacks.Read(ctx, cfn, deployment, stacks.API)
	if err != nil {
		return "", err
	}
	if !found {
		return "", noPool(deployment, fmt.Sprintf("its stack %s does not exist", st.Name))
	}
	if id := st.Outputs[stacks.OutUserPoolID]; id != "" {
		return id, nil
	}
	return "", noPool(deployment, fmt.Sprintf("its stack %s (%s) has no output %s", st.Name, st.Status, stacks.OutUserPoolID))
}

func noPool(deployment, why string) error {
	return inputErrorf("no user pool for deployment %q: %s.\nRun `mlflowctl up --name %s` to deploy it, or pass --user-pool-id to name a pool",
		deployment, why, deployment)
}
