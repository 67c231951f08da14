package teardown

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// StackDeleter deletes a deployment's stacks in reverse dependency order,
// running each stack's BeforeDelete hook first.
type StackDeleter interface {
	Delete(ctx context.Context, d deploy.Deployment) error
}

// EngineDeleter deletes the stacks through the deploy engine. For
// --keep-data it adds one thing the engine does not do: when a stack's
// delete fails only on resources that are kept (the artifact bucket, not
// emptied), it deletes the stack again retaining them, then lets the
// engine finish the rest.
type EngineDeleter struct {
	Engine *deploy.Engine
	CFN    CFNAPI
	// Retain lists, per stack ID, physical resource IDs that must survive.
	Retain map[string][]string
	Log    func(line string)
}

// Delete deletes the deployment's stacks.
func (e *EngineDeleter) Delete(ctx context.Context, d deploy.Deployment) error {
	err := e.Engine.Delete(ctx, d)
	if err == nil || len(e.Retain) == 0 {
		return err
	}
	retried := false
	for _, s := range d.Stacks {
		ok, rerr := e.retryRetaining(ctx, d.StackName(s.ID), e.Retain[s.ID])
		if rerr != nil {
			return errors.Join(err, rerr)
		}
		retried = retried || ok
	}
	if !retried {
		return err
	}
	// The engine waits for the stacks now deleting and deletes the rest.
	return e.Engine.Delete(ctx, d)
}

// retryRetaining deletes a DELETE_FAILED stack again with RetainResources
// when every resource that failed is one to keep.
func (e *EngineDeleter) retryRetaining(ctx context.Context, name string, keep []string) (bool, error) {
	if len(keep) == 0 {
		return false, nil
	}
	st, err := deploy.DescribeStack(ctx, e.CFN, name)
	if err != nil || st == nil || st.StackStatus != cfntypes.StackStatusDeleteFailed {
		return false, err
	}
	logical, err := retainable(ctx, e.CFN, st, keep)
	if err != nil || logical == nil {
		return false, err
	}
	logLine(e.Log, fmt.Sprintf("stack %s: deleting again, keeping %s (--keep-data)", name, strings.Join(logical, ", ")))
	_, err = e.CFN.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: st.StackId, RetainResources: logical})
	if err != nil {
		return false, fmt.Errorf("delete stack %s keeping %s: %w", name, strings.Join(logical, ", "), err)
	}
	return true, nil
}

// retainable returns the logical IDs of the stack's failed resources when
// every one of them is to be kept, else nil.
func retainable(ctx context.Context, cfn CFNAPI, st *cfntypes.Stack, keep []string) ([]string, error) {
	out, err := cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: st.StackId})
	if err != nil {
		return nil, err
	}
	var logical []string
	for _, r := range out.StackResources {
		if r.ResourceStatus != cfntypes.ResourceStatusDeleteFailed {
			continue
		}
		if !slices.Contains(keep, aws.ToString(r.PhysicalResourceId)) {
			return nil, nil
		}
		logical = append(logical, aws.ToString(r.LogicalResourceId))
	}
	return logical, nil
}
