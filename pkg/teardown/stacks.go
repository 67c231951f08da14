// Package teardown holds the mechanisms of `mlflowctl down`: it finds the
// deployment's stacks from their tags (no configuration needed), plans
// what will be deleted, and has one deleter per service (Studio apps,
// stacks through the engine, buckets, repositories, snapshots, log
// groups, a user pool's deletion protection) and the scan for anything
// still tagged with the deployment. The order they run in is the recipe
// app.Down.Run.
package teardown

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// Tag keys the engine puts on every stack (and the templates on every
// resource).
const (
	TagDeployment = deploy.TagDeployment
	TagStack      = deploy.TagStack
)

// CFNAPI is the part of the CloudFormation client teardown uses.
type CFNAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	DeleteStack(ctx context.Context, in *cloudformation.DeleteStackInput, opts ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
	DescribeStackResources(ctx context.Context, in *cloudformation.DescribeStackResourcesInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error)
	UpdateTerminationProtection(ctx context.Context, in *cloudformation.UpdateTerminationProtectionInput, opts ...func(*cloudformation.Options)) (*cloudformation.UpdateTerminationProtectionOutput, error)
}

// Stack is one stack of the deployment as found in AWS.
type Stack struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	StackID   string            `json:"stackId"`
	Status    string            `json:"status"`
	Outputs   map[string]string `json:"outputs,omitempty"`
	Protected bool              `json:"terminationProtection,omitempty"`
}

// FindStacks lists the deployment's stacks: named "<name>-*" and tagged
// mlflowctl:deployment=<name>. The tag check keeps deployment "mlflow"
// from claiming the stacks of deployment "mlflow-dev".
func FindStacks(ctx context.Context, cfn CFNAPI, name string) ([]Stack, error) {
	var found []Stack
	p := cloudformation.NewDescribeStacksPaginator(cfn, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Stacks {
			if st, ok := deploymentStack(s, name); ok {
				found = append(found, st)
			}
		}
	}
	slices.SortFunc(found, func(a, b Stack) int { return strings.Compare(a.Name, b.Name) })
	return found, nil
}

func deploymentStack(s cfntypes.Stack, name string) (Stack, bool) {
	stackName := aws.ToString(s.StackName)
	tags := map[string]string{}
	for _, t := range s.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if s.StackStatus == cfntypes.StackStatusDeleteComplete || tags[TagDeployment] != name || !strings.HasPrefix(stackName, name+"-") {
		return Stack{}, false
	}
	id := tags[TagStack]
	if id == "" {
		id = strings.TrimPrefix(stackName, name+"-")
	}
	outputs := map[string]string{}
	for _, o := range s.Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return Stack{ID: id, Name: stackName, StackID: aws.ToString(s.StackId), Status: string(s.StackStatus),
		Outputs: outputs, Protected: aws.ToBool(s.EnableTerminationProtection)}, true
}

// dependencies is the deployment's stack graph (DESIGN.md §2):
// bootstrap → server → api → {studio, ui}, and server → services (the
// Fargate services run in the server stack's cluster, subnets, target
// groups and roles, so they go first).
var dependencies = map[string][]string{
	stacks.Bootstrap: nil,
	stacks.Server:    {stacks.Bootstrap},
	stacks.Services:  {stacks.Server},
	stacks.API:       {stacks.Server},
	stacks.Studio:    {stacks.API},
	stacks.UI:        {stacks.API},
}

// Deployment turns the found stacks into the engine's deletion input.
// A stack of an ID this version does not know depends on every known
// one, so it is deleted first.
func Deployment(name string, found []Stack) deploy.Deployment {
	present := map[string]bool{}
	for _, s := range found {
		present[s.ID] = true
	}
	d := deploy.Deployment{Name: name}
	for _, s := range found {
		deps, known := dependencies[s.ID]
		if !known {
			for id := range dependencies {
				deps = append(deps, id)
			}
			slices.Sort(deps)
		}
		var live []string
		for _, dep := range deps {
			if present[dep] {
				live = append(live, dep)
			}
		}
		d.Stacks = append(d.Stacks, deploy.Stack{ID: s.ID, DependsOn: live, HoldsData: s.Protected})
	}
	return d
}

// DeleteOrder groups stack IDs into waves: every stack in a wave can be
// deleted once the waves before it are gone (nothing left depends on it).
func DeleteOrder(d deploy.Deployment) [][]string {
	remaining := map[string][]string{}
	for _, s := range d.Stacks {
		remaining[s.ID] = s.DependsOn
	}
	var waves [][]string
	for len(remaining) > 0 {
		var wave []string
		for id := range remaining {
			if !dependedOn(id, remaining) {
				wave = append(wave, id)
			}
		}
		if len(wave) == 0 { // a cycle: delete the rest together
			for id := range remaining {
				wave = append(wave, id)
			}
		}
		slices.Sort(wave)
		for _, id := range wave {
			delete(remaining, id)
		}
		waves = append(waves, wave)
	}
	return waves
}

func dependedOn(id string, remaining map[string][]string) bool {
	for other, deps := range remaining {
		if other != id && slices.Contains(deps, id) {
			return true
		}
	}
	return false
}
