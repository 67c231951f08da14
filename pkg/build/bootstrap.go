package build

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

// StacksAPI reads stack outputs.
type StacksAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// Bootstrap is what image builds use from the bootstrap stack.
type Bootstrap struct {
	AssetsBucket         string
	ServerRepositoryURI  string
	GatewayRepositoryURI string
	PyfuncRepositoryURI  string
	CodeBuildProject     string
}

// BootstrapFrom picks the bootstrap outputs out of a stack's outputs.
func BootstrapFrom(out map[string]string) Bootstrap {
	return Bootstrap{
		AssetsBucket:         out[stacks.OutAssetsBucket],
		ServerRepositoryURI:  out[stacks.OutServerRepositoryURI],
		GatewayRepositoryURI: out[stacks.OutGatewayRepositoryURI],
		PyfuncRepositoryURI:  out[stacks.OutPyfuncRepositoryURI],
		CodeBuildProject:     out[stacks.OutCodeBuildProject],
	}
}

// MissingStackError is an absent bootstrap stack: the user runs `up` first.
type MissingStackError struct{ Stack string }

func (e *MissingStackError) Error() string {
	return fmt.Sprintf("stack %s does not exist: run `mlflowctl up` first (it creates the CodeBuild project and assets bucket), or use --builder docker", e.Stack)
}

// ExitCode marks a missing stack as bad usage.
func (e *MissingStackError) ExitCode() int { return 2 }

// ReadBootstrap reads the outputs of <deployment>-bootstrap.
func ReadBootstrap(ctx context.Context, api StacksAPI, deployment string) (Bootstrap, error) {
	name := deployment + "-" + stacks.Bootstrap
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" && strings.Contains(apiErr.ErrorMessage(), "does not exist") {
		return Bootstrap{}, &MissingStackError{Stack: name}
	}
	if err != nil {
		return Bootstrap{}, fmt.Errorf("read stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return Bootstrap{}, &MissingStackError{Stack: name}
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return BootstrapFrom(outputs), nil
}
