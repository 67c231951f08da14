package stacks

import "github.com/mlflowctl/mlflowctl/pkg/config"

// MethodAuth is one method of the api stack: the API Gateway resource path
// it is on and its AuthorizationType (AWS_IAM or CUSTOM).
type MethodAuth struct {
	Resource, Authorization string
}

// MethodAuths lists the api stack's methods from the table its template is
// rendered from (routes), so `mlflowctl authz check` reports which enforcer
// the deployed API puts on a path, not a guess.
func MethodAuths(cfg config.Config) []MethodAuth {
	_, ms := routes(cfg)
	out := make([]MethodAuth, len(ms))
	for i, m := range ms {
		out[i] = MethodAuth{Resource: m.Path, Authorization: m.Auth}
	}
	return out
}
