package teardown

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// StackDeleter deletes a deployment's stacks in reverse dependency order,
// running each stack's BeforeDelete hook first.
type StackDeleter interface {
	Delete(ctx context.Context, d deploy.Deployment) error
}

// CFNDeleter deletes stacks with CloudFormation directly: wave by wave,
// the stacks of a wave concurrently, each waited for until it is gone.
type CFNDeleter struct {
	CFN  CFNAPI
	Poll time.Duration
	// Timeout bounds the wait for one stack.
	Timeout time.Duration
	// Outputs are each stack's outputs, handed to its BeforeDelete hook.
	Outputs map[string]map[string]string
	// Retain lists, per stack ID, physical resource IDs that must survive
	// (--keep-data). When the delete fails only on them, the stack is
	// deleted again with them retained.
	Retain map[string][]string
	Log    func(line string)
	// Sleep waits between polls (tests make it instant).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Delete deletes the deployment's stacks.
func (c *CFNDeleter) Delete(ctx context.Context, d deploy.Deployment) error {
	byID := map[string]deploy.Stack{}
	for _, s := range d.Stacks {
		byID[s.ID] = s
	}
	for _, wave := range DeleteOrder(d) {
		errs := make([]error, len(wave))
		var wg sync.WaitGroup
		for i, id := range wave {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = c.deleteStack(ctx, d.StackName(id), byID[id])
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	return nil
}

func (c *CFNDeleter) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(fmt.Sprintf(format, args...))
	}
}

func (c *CFNDeleter) deleteStack(ctx context.Context, name string, s deploy.Stack) error {
	st, err := c.describe(ctx, name)
	if err != nil || st == nil {
		return err
	}
	if s.BeforeDelete != nil {
		if err := s.BeforeDelete(ctx, c.Outputs[s.ID]); err != nil {
			return fmt.Errorf("before deleting stack %s: %w", name, err)
		}
	}
	if aws.ToBool(st.EnableTerminationProtection) {
		c.logf("stack %s: turning termination protection off", name)
		if _, err := c.CFN.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
			StackName: aws.String(name), EnableTerminationProtection: aws.Bool(false)}); err != nil {
			return fmt.Errorf("turn off termination protection of %s: %w", name, err)
		}
	}
	retained := false
	for {
		in := &cloudformation.DeleteStackInput{StackName: st.StackId}
		if st.StackStatus == cfntypes.StackStatusDeleteFailed && !retained {
			keep, err := c.retainable(ctx, st, s.ID)
			if err != nil {
				return err
			}
			in.RetainResources, retained = keep, keep != nil
		}
		if _, err := c.CFN.DeleteStack(ctx, in); err != nil {
			return fmt.Errorf("delete stack %s: %w", name, err)
		}
		c.logf("stack %s: deleting", name)
		final, err := c.wait(ctx, name, aws.ToString(st.StackId))
		if err != nil || final == nil {
			return err
		}
		st = final
		if !retained && c.onlyRetainFailed(ctx, st, s.ID) {
			continue // once more, keeping what --keep-data keeps
		}
		return c.failure(ctx, st)
	}
}

func (c *CFNDeleter) describe(ctx context.Context, nameOrID string) (*cfntypes.Stack, error) {
	out, err := c.CFN.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(nameOrID)})
	if isMissingStack(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(out.Stacks) == 0 || out.Stacks[0].StackStatus == cfntypes.StackStatusDeleteComplete {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// wait polls until the stack is gone (nil) or has stopped deleting.
func (c *CFNDeleter) wait(ctx context.Context, name, stackID string) (*cfntypes.Stack, error) {
	begin := time.Now()
	for {
		st, err := c.describe(ctx, stackID)
		if err != nil {
			return nil, err
		}
		if st == nil {
			c.logf("stack %s: deleted (%s)", name, time.Since(begin).Round(time.Second))
			return nil, nil
		}
		if st.StackStatus != cfntypes.StackStatusDeleteInProgress {
			return st, nil
		}
		if c.Timeout > 0 && time.Since(begin) > c.Timeout {
			return nil, fmt.Errorf("stack %s still DELETE_IN_PROGRESS after %s; run `mlflowctl down` again to keep waiting", name, c.Timeout)
		}
		if err := c.sleep(ctx); err != nil {
			return nil, err
		}
	}
}

func (c *CFNDeleter) sleep(ctx context.Context) error {
	d := c.Poll
	if d <= 0 {
		d = 5 * time.Second
	}
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// failedResources are the stack's resources whose delete failed.
func (c *CFNDeleter) failedResources(ctx context.Context, st *cfntypes.Stack) ([]cfntypes.StackResource, error) {
	out, err := c.CFN.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: st.StackId})
	if err != nil {
		return nil, err
	}
	var failed []cfntypes.StackResource
	for _, r := range out.StackResources {
		if r.ResourceStatus == cfntypes.ResourceStatusDeleteFailed {
			failed = append(failed, r)
		}
	}
	return failed, nil
}

// retainable returns the logical IDs to retain when every failed resource
// is one --keep-data keeps, else nil.
func (c *CFNDeleter) retainable(ctx context.Context, st *cfntypes.Stack, id string) ([]string, error) {
	keep := c.Retain[id]
	if len(keep) == 0 {
		return nil, nil
	}
	failed, err := c.failedResources(ctx, st)
	if err != nil || len(failed) == 0 {
		return nil, err
	}
	var logical []string
	for _, r := range failed {
		if !slices.Contains(keep, aws.ToString(r.PhysicalResourceId)) {
			return nil, nil
		}
		logical = append(logical, aws.ToString(r.LogicalResourceId))
	}
	return logical, nil
}

func (c *CFNDeleter) onlyRetainFailed(ctx context.Context, st *cfntypes.Stack, id string) bool {
	keep, err := c.retainable(ctx, st, id)
	return err == nil && keep != nil
}

// StackError is a stack that did not delete, with the resources that
// failed and why.
type StackError struct {
	Stack, Status string
	Failed        []string
}

func (e *StackError) Error() string {
	msg := fmt.Sprintf("stack %s is %s", e.Stack, e.Status)
	if len(e.Failed) > 0 {
		msg += ": " + strings.Join(e.Failed, "; ")
	}
	return msg + "\nFix the cause (or delete the resource by hand), then run `mlflowctl down` again: it continues where it stopped"
}

func (c *CFNDeleter) failure(ctx context.Context, st *cfntypes.Stack) error {
	e := &StackError{Stack: aws.ToString(st.StackName), Status: string(st.StackStatus)}
	if failed, err := c.failedResources(ctx, st); err == nil {
		for _, r := range failed {
			e.Failed = append(e.Failed, fmt.Sprintf("%s (%s) %s: %s", aws.ToString(r.LogicalResourceId),
				aws.ToString(r.ResourceType), aws.ToString(r.PhysicalResourceId), aws.ToString(r.ResourceStatusReason)))
		}
	}
	if len(e.Failed) == 0 && st.StackStatusReason != nil {
		e.Failed = []string{aws.ToString(st.StackStatusReason)}
	}
	return e
}

// isMissingStack: CloudFormation answers ValidationError "Stack with id
// X does not exist" for a stack that is gone.
func isMissingStack(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && strings.Contains(ae.ErrorMessage(), "does not exist")
}
