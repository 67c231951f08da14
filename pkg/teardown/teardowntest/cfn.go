// Package teardowntest builds whole mlflowctl deployments for teardown
// tests: an in-memory CloudFormation whose stacks own real resources in
// moto_server (buckets, repositories, DB cluster, VPC, log groups) and in
// sagemakerfake (the Studio domain and profiles), so that deleting a
// stack fails the way AWS does when a bucket is not empty or a profile
// still has apps.
package teardowntest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// CFN is an in-memory CloudFormation with the calls teardown makes.
// moto's CloudFormation cannot fail a delete or own resources of every
// type teardown cares about, so this fake stands in for it.
type CFN struct {
	mu     sync.Mutex
	stacks []*Stack
	// Deletes counts DeleteStack calls per stack name.
	Deletes map[string]int
}

// Stack is a fake stack.
type Stack struct {
	Name, ID, Status, Reason string
	Tags, Outputs            map[string]string
	Protected                bool
	Resources                []*Resource
	inProgress               int                   // describes left that show DELETE_IN_PROGRESS
	events                   []cfntypes.StackEvent // newest first
}

// Resource is a stack resource with the call that deletes it for real.
type Resource struct {
	Logical, Type, Physical string
	Delete                  func(ctx context.Context) error
	Status, Reason          string
	failOnce                string
}

// NewCFN returns an empty fake.
func NewCFN() *CFN { return &CFN{Deletes: map[string]int{}} }

// Add creates a stack in CREATE_COMPLETE.
func (c *CFN) Add(s *Stack) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/" + s.Name + "/" + fmt.Sprint(len(c.stacks)+1)
	s.Status = "CREATE_COMPLETE"
	for _, r := range s.Resources {
		r.Status = "CREATE_COMPLETE"
	}
	c.stacks = append(c.stacks, s)
}

// FailOnce makes the next delete of a resource fail with reason.
func (c *CFN) FailOnce(stack, logical, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.find(stack).Resources {
		if r.Logical == logical {
			r.failOnce = reason
		}
	}
}

// Protect turns termination protection on, as the engine does for
// stacks that hold data.
func (c *CFN) Protect(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.find(name).Protected = true
}

// Names lists the stacks that are not deleted.
func (c *CFN) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	for _, s := range c.stacks {
		if s.Status != "DELETE_COMPLETE" {
			names = append(names, s.Name)
		}
	}
	return names
}

func (c *CFN) find(nameOrID string) *Stack {
	for _, s := range c.stacks {
		if s.ID == nameOrID || (s.Name == nameOrID && s.Status != "DELETE_COMPLETE") {
			return s
		}
	}
	return nil
}

func missing(name string) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + name + " does not exist"}
}

// DescribeStacks describes one stack, or every stack not deleted.
func (c *CFN) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name := aws.ToString(in.StackName); name != "" {
		s := c.find(name)
		if s == nil || (s.Status == "DELETE_COMPLETE" && s.ID != name) {
			return nil, missing(name)
		}
		return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{s.describe()}}, nil
	}
	out := &cloudformation.DescribeStacksOutput{}
	for _, s := range c.stacks {
		if s.Status != "DELETE_COMPLETE" {
			out.Stacks = append(out.Stacks, s.describe())
		}
	}
	return out, nil
}

func (s *Stack) describe() cfntypes.Stack {
	status := s.Status
	if s.inProgress > 0 {
		s.inProgress--
		status = "DELETE_IN_PROGRESS"
	}
	st := cfntypes.Stack{StackName: aws.String(s.Name), StackId: aws.String(s.ID), StackStatus: cfntypes.StackStatus(status),
		EnableTerminationProtection: aws.Bool(s.Protected)}
	if s.Reason != "" {
		st.StackStatusReason = aws.String(s.Reason)
	}
	for _, k := range sortedKeys(s.Tags) {
		st.Tags = append(st.Tags, cfntypes.Tag{Key: aws.String(k), Value: aws.String(s.Tags[k])})
	}
	if status != "DELETE_COMPLETE" {
		for _, k := range sortedKeys(s.Outputs) {
			st.Outputs = append(st.Outputs, cfntypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(s.Outputs[k])})
		}
	}
	return st
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// DeleteStack deletes the resources in reverse order of creation; those
// that fail leave the stack DELETE_FAILED, as CloudFormation does.
func (c *CFN) DeleteStack(ctx context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	name := aws.ToString(in.StackName)
	s := c.find(name)
	if s == nil || s.Status == "DELETE_COMPLETE" {
		return &cloudformation.DeleteStackOutput{}, nil
	}
	if s.Protected {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack [" + s.Name + "] cannot be deleted while TerminationProtection is enabled"}
	}
	if len(in.RetainResources) > 0 && s.Status != "DELETE_FAILED" {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "RetainResources may only be given for a stack in DELETE_FAILED"}
	}
	c.Deletes[s.Name]++
	s.event(s.Name, "AWS::CloudFormation::Stack", s.ID, "DELETE_IN_PROGRESS", "User Initiated")
	var failed []string
	for i := len(s.Resources) - 1; i >= 0; i-- {
		r := s.Resources[i]
		if r.Status == "DELETE_COMPLETE" || r.Status == "DELETE_SKIPPED" {
			continue
		}
		if slices.Contains(in.RetainResources, r.Logical) {
			r.Status, r.Reason = "DELETE_SKIPPED", ""
			s.event(r.Logical, r.Type, r.Physical, r.Status, "")
			continue
		}
		s.event(r.Logical, r.Type, r.Physical, "DELETE_IN_PROGRESS", "")
		if err := r.delete(ctx); err != nil {
			r.Status, r.Reason = "DELETE_FAILED", err.Error()
			s.event(r.Logical, r.Type, r.Physical, r.Status, r.Reason)
			failed = append(failed, r.Logical)
			continue
		}
		r.Status, r.Reason = "DELETE_COMPLETE", ""
		s.event(r.Logical, r.Type, r.Physical, r.Status, "")
	}
	s.inProgress = 1
	if len(failed) > 0 {
		s.Status, s.Reason = "DELETE_FAILED", "The following resource(s) failed to delete: ["+strings.Join(failed, ", ")+"]."
	} else {
		s.Status, s.Reason = "DELETE_COMPLETE", ""
	}
	s.event(s.Name, "AWS::CloudFormation::Stack", s.ID, s.Status, s.Reason)
	return &cloudformation.DeleteStackOutput{}, nil
}

func (r *Resource) delete(ctx context.Context) error {
	if r.failOnce != "" {
		reason := r.failOnce
		r.failOnce = ""
		return fmt.Errorf("%s", reason)
	}
	if r.Delete == nil {
		return nil
	}
	return r.Delete(ctx)
}

// DescribeStackResources lists a stack's resources.
func (c *CFN) DescribeStackResources(_ context.Context, in *cloudformation.DescribeStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, missing(aws.ToString(in.StackName))
	}
	out := &cloudformation.DescribeStackResourcesOutput{}
	for _, r := range s.Resources {
		out.StackResources = append(out.StackResources, cfntypes.StackResource{
			LogicalResourceId: aws.String(r.Logical), PhysicalResourceId: aws.String(r.Physical), ResourceType: aws.String(r.Type),
			ResourceStatus: cfntypes.ResourceStatus(r.Status), ResourceStatusReason: aws.String(r.Reason), StackName: aws.String(s.Name),
		})
	}
	return out, nil
}

// UpdateTerminationProtection turns termination protection on or off.
func (c *CFN) UpdateTerminationProtection(_ context.Context, in *cloudformation.UpdateTerminationProtectionInput, _ ...func(*cloudformation.Options)) (*cloudformation.UpdateTerminationProtectionOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, missing(aws.ToString(in.StackName))
	}
	s.Protected = aws.ToBool(in.EnableTerminationProtection)
	return &cloudformation.UpdateTerminationProtectionOutput{}, nil
}

func (s *Stack) event(logical, typ, physical, status, reason string) {
	ev := cfntypes.StackEvent{
		EventId: aws.String(fmt.Sprintf("%s-%d", s.Name, len(s.events)+1)), StackId: aws.String(s.ID), StackName: aws.String(s.Name),
		LogicalResourceId: aws.String(logical), ResourceType: aws.String(typ), PhysicalResourceId: aws.String(physical),
		ResourceStatus: cfntypes.ResourceStatus(status), Timestamp: aws.Time(time.Now()),
	}
	if reason != "" {
		ev.ResourceStatusReason = aws.String(reason)
	}
	s.events = append([]cfntypes.StackEvent{ev}, s.events...)
}

// DescribeStackEvents lists a stack's events, newest first.
func (c *CFN) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, missing(aws.ToString(in.StackName))
	}
	return &cloudformation.DescribeStackEventsOutput{StackEvents: slices.Clone(s.events)}, nil
}

// The calls below create and update stacks; teardown never makes them.

func unsupported(op string) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: op + " is not supported by the teardown fake"}
}

// CreateChangeSet is not supported.
func (c *CFN) CreateChangeSet(context.Context, *cloudformation.CreateChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	return nil, unsupported("CreateChangeSet")
}

// DescribeChangeSet is not supported.
func (c *CFN) DescribeChangeSet(context.Context, *cloudformation.DescribeChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error) {
	return nil, unsupported("DescribeChangeSet")
}

// ExecuteChangeSet is not supported.
func (c *CFN) ExecuteChangeSet(context.Context, *cloudformation.ExecuteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error) {
	return nil, unsupported("ExecuteChangeSet")
}

// DeleteChangeSet is not supported.
func (c *CFN) DeleteChangeSet(context.Context, *cloudformation.DeleteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error) {
	return nil, unsupported("DeleteChangeSet")
}

// CreateStack is not supported.
func (c *CFN) CreateStack(context.Context, *cloudformation.CreateStackInput, ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error) {
	return nil, unsupported("CreateStack")
}

// UpdateStack is not supported.
func (c *CFN) UpdateStack(context.Context, *cloudformation.UpdateStackInput, ...func(*cloudformation.Options)) (*cloudformation.UpdateStackOutput, error) {
	return nil, unsupported("UpdateStack")
}

// CancelUpdateStack is not supported.
func (c *CFN) CancelUpdateStack(context.Context, *cloudformation.CancelUpdateStackInput, ...func(*cloudformation.Options)) (*cloudformation.CancelUpdateStackOutput, error) {
	return nil, unsupported("CancelUpdateStack")
}

// ContinueUpdateRollback is not supported.
func (c *CFN) ContinueUpdateRollback(context.Context, *cloudformation.ContinueUpdateRollbackInput, ...func(*cloudformation.Options)) (*cloudformation.ContinueUpdateRollbackOutput, error) {
	return nil, unsupported("ContinueUpdateRollback")
}
