// Package rules holds the template-rules tests: cross-resource rules of
// the rendered CloudFormation templates that cfn-lint and checkov do not
// know, each one a named test over every rendered configuration variant,
// with the AWS document or public issue it comes from in a comment
// (issue 16). The package has no code of its own beyond this comment.
package rules
