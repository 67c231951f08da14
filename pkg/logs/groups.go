package logs

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// StacksAPI is the CloudFormation call that finds the log groups.
type StacksAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// Group is one log group to read.
type Group struct {
	Component Component `json:"component"`
	Name      string    `json:"logGroup"`
}

// Absent is a component the deployment has no log group for, and why.
type Absent struct {
	Component Component
	Why       string
}

// NotDeployedError says no stack of the deployment exists.
type NotDeployedError struct {
	Deployment string
}

func (e *NotDeployedError) Error() string {
	return fmt.Sprintf("nothing is deployed as %q here: run `mlflowctl up` first (or check --name and --region)", e.Deployment)
}

// Find reads the outputs of every stack of deployment (each stack tagged
// mlflowctl:deployment=deployment, whatever its name, so a deployment
// split into more stacks is still found) and picks the log groups of the
// components asked for.
func Find(ctx context.Context, cfn StacksAPI, deployment string, want []Component) ([]Group, []Absent, error) {
	outputs, found, err := deploymentOutputs(ctx, cfn, deployment)
	if err != nil {
		return nil, nil, fmt.Errorf("read the stacks of %q: %w", deployment, err)
	}
	if !found {
		return nil, nil, &NotDeployedError{Deployment: deployment}
	}
	groups, absent := Pick(outputs, want)
	return groups, absent, nil
}

// Pick chooses the groups of the wanted components from stack outputs
// (output key to value, all stacks together).
func Pick(outputs map[string]string, want []Component) ([]Group, []Absent) {
	var groups []Group
	var absent []Absent
	for _, c := range want {
		n := 0
		for _, s := range Sources {
			if s.Component == c && outputs[s.OutputKey] != "" {
				groups = append(groups, Group{Component: c, Name: outputs[s.OutputKey]})
				n++
			}
		}
		if n == 0 {
			absent = append(absent, Absent{Component: c, Why: hint(c)})
		}
	}
	return groups, absent
}

// deploymentOutputs lists every stack (DescribeStacks without a name, all
// pages) and merges the outputs of those tagged as the deployment. found
// says whether any such stack exists.
func deploymentOutputs(ctx context.Context, cfn StacksAPI, deployment string) (map[string]string, bool, error) {
	all := map[string]string{}
	found := false
	in := &cloudformation.DescribeStacksInput{}
	for {
		out, err := cfn.DescribeStacks(ctx, in)
		if err != nil {
			return nil, false, err
		}
		// Stacks in name order, so a key two stacks both output (never
		// in the templates) resolves the same way every time.
		stacks := out.Stacks
		sort.Slice(stacks, func(i, j int) bool { return aws.ToString(stacks[i].StackName) < aws.ToString(stacks[j].StackName) })
		for _, st := range stacks {
			if !ownedBy(st.Tags, deployment) {
				continue
			}
			found = true
			for _, o := range st.Outputs {
				if _, dup := all[aws.ToString(o.OutputKey)]; !dup {
					all[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
				}
			}
		}
		if out.NextToken == nil {
			return all, found, nil
		}
		in.NextToken = out.NextToken
	}
}

func ownedBy(tags []cftypes.Tag, deployment string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == deploy.TagDeployment && aws.ToString(t.Value) == deployment {
			return true
		}
	}
	return false
}
