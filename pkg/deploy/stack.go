package deploy

import (
	"context"
	"slices"
)

// Stack is one CloudFormation stack of a deployment.
type Stack struct {
	// ID is the stack's short name in the deployment ("bootstrap",
	// "server", "api", "studio", "ui"); the CloudFormation name is
	// "<deployment>-<ID>".
	ID string
	// Template is the rendered CloudFormation template (YAML).
	Template []byte
	// Params are parameter values known at render time.
	Params map[string]string
	// Imports are parameters taken from outputs of stacks or steps this
	// one depends on; they flow as parameters, never as exports. A stack
	// depends on every step it imports from without naming it in
	// DependsOn.
	Imports []Import
	// DependsOn lists the IDs of stacks (or steps) that must be complete
	// first.
	DependsOn []string
	// Capabilities such as CAPABILITY_NAMED_IAM.
	Capabilities []string
	// HoldsData turns termination protection on (buckets, databases).
	HoldsData bool
	// Tags are extra stack tags; the engine adds mlflowctl:deployment,
	// mlflowctl:stack and mlflowctl:version itself.
	Tags map[string]string

	// Finalize, when set, rewrites the template once every parameter value
	// is known (for example to name a resource after a hash of the values
	// it snapshots, as API Gateway deployments need).
	Finalize func(template []byte, params map[string]string) ([]byte, error)
	// BeforeDelete runs before the stack is deleted, with the stack's own
	// outputs (for example to empty its buckets or delete Studio apps).
	BeforeDelete func(ctx context.Context, own map[string]string) error

	// step is set on the node order makes for a Step.
	step *Step
}

// Step is a node of the deployment's graph that is not a stack: work done
// in the account between stacks (an image build, an upload, a publish, a
// check). It runs once every node in DependsOn is complete, with their
// outputs, and its outputs can be imported by stacks (and seen by later
// steps) exactly as a stack's outputs, under the step's ID. Deploy runs
// steps; Plan, Status and Delete pass over them.
type Step struct {
	// ID names the step in the graph and in progress events ("images",
	// "authorizer", "verify"); it must not clash with a stack's ID.
	ID string
	// DependsOn lists the stacks and steps that must be complete first.
	DependsOn []string
	// Run does the step's work. Progress lines go through Engine.Note with
	// the step's ID. An error fails the step and skips what waits for it.
	Run func(ctx context.Context, deps Outputs) (map[string]string, error)
}

// Import takes a parameter's value from a dependency's output.
type Import struct {
	Param     string // parameter of this stack
	FromStack string // ID of the stack (or step) that outputs it
	Output    string // output key in that stack
}

// Outputs are stack and step outputs by node ID, then output key.
type Outputs map[string]map[string]string

// Deployment is a named set of stacks, and the steps run between them.
type Deployment struct {
	Name   string
	Stacks []Stack
	Steps  []Step
}

// stacksOnly is d without its steps, and without dependencies on or
// imports from them: what Delete works on.
func (d Deployment) stacksOnly() Deployment {
	if len(d.Steps) == 0 {
		return d
	}
	steps := map[string]bool{}
	for _, st := range d.Steps {
		steps[st.ID] = true
	}
	out := Deployment{Name: d.Name, Stacks: make([]Stack, len(d.Stacks))}
	for i, s := range d.Stacks {
		s.DependsOn = slices.DeleteFunc(slices.Clone(s.DependsOn), func(id string) bool { return steps[id] })
		s.Imports = slices.DeleteFunc(slices.Clone(s.Imports), func(im Import) bool { return steps[im.FromStack] })
		out.Stacks[i] = s
	}
	return out
}

// StackName is the CloudFormation name of a stack in this deployment.
func (d Deployment) StackName(id string) string { return d.Name + "-" + id }
