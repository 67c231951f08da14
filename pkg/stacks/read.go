package stacks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// DescribeStacksAPI is the part of the CloudFormation client Read uses.
type DescribeStacksAPI = deploy.DescribeStacksAPI

// Deployed is one stack of a deployment as CloudFormation has it.
type Deployed struct {
	Name    string
	Status  string
	Outputs map[string]string
}

// Read looks up stack id of a deployment. found is false when the stack
// does not exist (deploy.DescribeStack decides).
func Read(ctx context.Context, api DescribeStacksAPI, deployment, id string) (d Deployed, found bool, err error) {
	d.Name = deployment + "-" + id
	st, err := deploy.DescribeStack(ctx, api, d.Name)
	if err != nil {
		return d, false, fmt.Errorf("read stack %s: %w", d.Name, err)
	}
	if st == nil {
		return d, false, nil
	}
	d.Status = string(st.StackStatus)
	d.Outputs = map[string]string{}
	for _, o := range st.Outputs {
		d.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return d, true, nil
}
