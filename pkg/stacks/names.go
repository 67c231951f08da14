package stacks

import (
	"fmt"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// Global names the templates give resources, for checks made before a
// deployment exists (preflight): they must match the templates' !Sub
// expressions, which names_test.go checks on the rendered templates.

// BucketNames are the S3 buckets a deployment creates, whose names are
// global across all accounts.
func BucketNames(cfg config.Config, account, region string) []string {
	names := make([]string, 0, 4)
	for _, suffix := range []string{"assets", "access-logs", "artifacts", "deploy"} {
		names = append(names, fmt.Sprintf("%s-%s-%s-%s", cfg.Name, suffix, account, region))
	}
	return names
}

// CognitoDomainPrefix is the managed-login domain prefix of the api stack.
func CognitoDomainPrefix(cfg config.Config, account string) string {
	return domainPrefix(cfg.Name) + "-" + account
}

// ProfileNames are the Studio user profiles, one per group, in group order.
func ProfileNames(cfg config.Config) []string {
	out := make([]string, 0, len(cfg.Groups))
	for _, g := range cfg.Groups {
		out = append(out, profileName(cfg.Name, g.Name))
	}
	return out
}
