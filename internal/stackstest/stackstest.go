// Package stackstest holds what pkg/stacks' tests and the rules of
// pkg/stacks/rules share: the configuration variants every template check
// runs over, and readers of CloudFormation policy and reference values.
// It imports no pkg/stacks, so pkg/stacks' own tests can use it.
package stackstest

import "github.com/mlflowctl/mlflowctl/pkg/config"

// Variant is one configuration every check runs over.
type Variant struct {
	Name string
	Cfg  config.Config
}

// Variants are the default configuration, gateway off, MLflow 2.12.2 with
// its separate gateway, an existing Studio domain, two NAT gateways with
// MFA on arm64, and a minimal deployment without the optional stacks.
func Variants() []Variant {
	def := config.Defaults()
	def.Region = "us-east-1"
	def.AccountID = "123456789012"

	noGateway := def
	noGateway.Gateway.Enabled = false

	v2 := def
	v2.MLflowVersion = "2.12.2"
	// MLflow 2.12.2's Bedrock provider serves completions only.
	v2.Gateway.Endpoints = []config.Endpoint{{Name: "completions", Type: "llm/v1/completions", Model: "anthropic.claude-v2:1"}}
	v2.Server.Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow/mlflow-server:2.12.2"

	existingDomain := def
	existingDomain.Studio.DomainID = "d-abcdef123456"
	existingDomain.Database.MinCapacity = 0.5
	existingDomain.Database.DeletionPolicy = "Retain"

	nat2MFA := def
	nat2MFA.Network.NatGateways = 2
	nat2MFA.Cognito.MFA = "on"
	nat2MFA.Network.CIDR = "10.20.0.0/20"
	nat2MFA.Authorizer.CacheTTLSeconds = 0
	nat2MFA.Server.Architecture = "arm64"

	minimal := def
	minimal.Name = "tiny"
	minimal.Studio.Enabled = false
	minimal.UI.Enabled = false
	minimal.Network.FlowLogs = false
	minimal.Cognito.DeletionProtection = false
	minimal.Logs.RetentionDays = 7

	return []Variant{
		{"default", def},
		{"gateway-off", noGateway},
		{"mlflow-2.12.2", v2},
		{"existing-domain", existingDomain},
		{"nat2-mfa", nat2MFA},
		{"minimal", minimal},
	}
}

// AsStrings reads a string or a list of strings (Action, Resource,
// DependsOn); anything else is none.
func AsStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Statements are the statements of one policy document (a list, or one).
func Statements(doc any) []map[string]any {
	m, _ := doc.(map[string]any)
	var out []map[string]any
	switch s := m["Statement"].(type) {
	case []any:
		for _, x := range s {
			if st, ok := x.(map[string]any); ok {
				out = append(out, st)
			}
		}
	case map[string]any:
		out = append(out, s)
	}
	return out
}
