package build

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

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
	return fmt.Sprintf("stack %s does not exist", e.Stack)
}

// Hint names the two ways forward.
func (e *MissingStackError) Hint() string {
	return "run `mlflowctl up` first (it creates the CodeBuild project and assets bucket), or use --builder docker"
}

// ExitCode marks a missing stack as bad usage.
func (e *MissingStackError) ExitCode() int { return 2 }

// ReadBootstrap reads the outputs of <deployment>-bootstrap.
func ReadBootstrap(ctx context.Context, api StacksAPI, deployment string) (Bootstrap, error) {
	st, found, err := stacks.Read(ctx, api, deployment, stacks.Bootstrap)
	if err != nil {
		return Bootstrap{}, err
	}
	if !found {
		return Bootstrap{}, &MissingStackError{Stack: st.Name}
	}
	return BootstrapFrom(st.Outputs), nil
}
