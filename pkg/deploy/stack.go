package deploy

import "context"

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
	// Imports are parameters taken from outputs of stacks this one
	// depends on; they flow as parameters, never as exports.
	Imports []Import
	// DependsOn lists the IDs of stacks that must be complete first.
	DependsOn []string
	// Capabilities such as CAPABILITY_NAMED_IAM.
	Capabilities []string
	// HoldsData turns termination protection on (buckets, databases).
	HoldsData bool
	// Tags are extra stack tags; the engine adds mlflowctl:deployment,
	// mlflowctl:stack and mlflowctl:version itself.
	Tags map[string]string

	// Before runs after the stack's dependencies are complete and before
	// its change set: it gets their outputs (by stack ID, then output key)
	// and returns more parameters (for example an uploaded Lambda zip's
	// key, or image URIs it built).
	Before func(ctx context.Context, deps Outputs) (map[string]string, error)
	// Finalize, when set, rewrites the template once every parameter value
	// is known (for example to name a resource after a hash of the values
	// it snapshots, as API Gateway deployments need).
	Finalize func(template []byte, params map[string]string) ([]byte, error)
	// After runs once the stack is complete, with its own outputs merged
	// into deps under its ID (for example to upload and host the UI).
	After func(ctx context.Context, all Outputs) error
	// BeforeDelete runs before the stack is deleted, with the stack's own
	// outputs (for example to empty its buckets or delete Studio apps).
	BeforeDelete func(ctx context.Context, own map[string]string) error
}

// Import takes a parameter's value from a dependency's output.
type Import struct {
	Param     string // parameter of this stack
	FromStack string // ID of the stack that outputs it
	Output    string // output key in that stack
}

// Outputs are stack outputs by stack ID, then output key.
type Outputs map[string]map[string]string

// Deployment is a named set of stacks.
type Deployment struct {
	Name   string
	Stacks []Stack
}

// StackName is the CloudFormation name of a stack in this deployment.
func (d Deployment) StackName(id string) string { return d.Name + "-" + id }
