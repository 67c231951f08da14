package cfnfake

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// Resolving is the fake with a value for every output it cannot resolve.
// The fake resolves only literal outputs and Refs to parameters, so an
// output naming a resource (a bucket's Ref, a GetAtt) comes back empty;
// Resolving gives it "physical-<output key in lower case>", as
// CloudFormation gives a physical id. It is what a test deploying whole
// stacks (pkg/app's up, the CLI's up) reads outputs from.
type Resolving struct{ *Fake }

// DescribeStacks is the fake's, with the empty outputs filled.
func (f Resolving) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	out, err := f.Fake.DescribeStacks(ctx, in, opts...)
	if err != nil {
		return out, err
	}
	for i := range out.Stacks {
		for j, o := range out.Stacks[i].Outputs {
			if aws.ToString(o.OutputValue) == "" {
				out.Stacks[i].Outputs[j].OutputValue = aws.String("physical-" + strings.ToLower(aws.ToString(o.OutputKey)))
			}
		}
	}
	return out, nil
}
