package stacks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// DescribeStacksAPI is the part of the CloudFormation client Read uses.
type DescribeStacksAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// Deployed is one stack of a deployment as CloudFormation has it.
type Deployed struct {
	Name    string
	Status  string
	Outputs map[string]string
}

// Read looks up stack id of a deployment. found is false when the stack
// does not exist, which CloudFormation answers with a generic
// ValidationError.
func Read(ctx context.Context, api DescribeStacksAPI, deployment, id string) (d Deployed, found bool, err error) {
	d.Name = deployment + "-" + id
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(d.Name)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist") {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("read stack %s: %w", d.Name, err)
	}
	if len(out.Stacks) == 0 {
		return d, false, nil
	}
	st := out.Stacks[0]
	d.Status = string(st.StackStatus)
	d.Outputs = map[string]string{}
	for _, o := range st.Outputs {
		d.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return d, true, nil
}
