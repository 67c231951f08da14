// Package app is where mlflowctl's commands that change a deployment are
// written down as recipes: Up and Down read top-down as their named steps,
// in the spirit of eksctl's pkg/actions and Copilot's documented
// Execute. The CLI parses flags, builds the AWS clients once and talks to
// the user; pkg/stacks renders templates; pkg/deploy runs the graph; the
// work of the other packages (image builds, the authorizer upload, the UI
// publish, the verification) arrives as functions and runs as steps of
// that graph, each with its own progress row.
package app
