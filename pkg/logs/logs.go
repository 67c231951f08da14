// Package logs reads a deployment's CloudWatch log groups for `mlflowctl
// logs`: it finds the groups from the outputs of the deployment's stacks,
// reads them with FilterLogEvents (all pages), merges the components'
// events by time and formats them, once or following new events.
//
// Permissions: cloudformation:DescribeStacks (to find the groups) and
// logs:FilterLogEvents on the groups. Nothing else.
package logs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Component is a part of the deployment that writes logs.
type Component string

// The components, in the order `logs` lists them.
const (
	Server     Component = "server"
	Gateway    Component = "gateway"
	Authorizer Component = "authorizer"
	API        Component = "api"
)

// Components are every component, in order.
var Components = []Component{Server, Gateway, Authorizer, API}

// Source is one log group of a component, named by a stack output.
type Source struct {
	Component Component
	OutputKey string
}

// Sources are the stack outputs that name the log groups `logs` reads.
// The templates add these outputs at the end of their Outputs sections;
// pkg/stacks tests that every log group a template creates is named by
// one of these or by an output in NotShown.
var Sources = []Source{
	{Server, "ServerLogGroupName"},
	{Gateway, "GatewayLogGroupName"},
	{Authorizer, "AuthorizerLogGroupName"},
	{API, "ApiAccessLogGroupName"},
	{API, "ApiExecutionLogGroupName"},
}

// NotShown are log group outputs `logs` deliberately does not read, and why.
var NotShown = map[string]string{
	"DbLogGroupName":    "the Aurora PostgreSQL log: database internals, read it in the RDS console",
	"FlowLogGroupName":  "VPC flow logs: network records, not application logs",
	"BuildLogGroupName": "CodeBuild image builds: `mlflowctl up` prints a failed build's log",
}

// ParseComponents checks the components named on the command line; none
// means all of them. The result is in the order of Components, without
// duplicates.
func ParseComponents(args []string) ([]Component, error) {
	if len(args) == 0 {
		return slices.Clone(Components), nil
	}
	want := map[Component]bool{}
	for _, a := range args {
		c := Component(strings.ToLower(strings.TrimSpace(a)))
		if !slices.Contains(Components, c) {
			return nil, fmt.Errorf("%q is not a component: use one of %s, or none for all", a, componentList())
		}
		want[c] = true
	}
	var out []Component
	for _, c := range Components {
		if want[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

func componentList() string {
	names := make([]string, len(Components))
	for i, c := range Components {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// hint says why a component may have no log group in a deployment.
func hint(c Component) string {
	switch c {
	case Gateway:
		return "the AI gateway is off, or runs inside the server: see `mlflowctl logs server`"
	default:
		return "its stack is not deployed, or was deployed by an older mlflowctl: run `mlflowctl up`"
	}
}

// ParseSince reads --since: a duration back from now (30m, 2h, 1d, 1h30m)
// or an RFC 3339 time (2026-01-02T15:04:05Z). The time must be in the past.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		if t.After(now) {
			return time.Time{}, fmt.Errorf("%q is in the future: give a past time, or a duration such as 30m", s)
		}
		return t, nil
	}
	d, err := parseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("%q is not a duration or a time: use e.g. 30m, 2h, 1d or 2026-01-02T15:04:05Z", s)
	}
	return now.Add(-d), nil
}

// parseDuration is time.ParseDuration with days: "1d", "2d12h".
func parseDuration(s string) (time.Duration, error) {
	days := time.Duration(0)
	if i := strings.Index(s, "d"); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 10000 {
			return 0, fmt.Errorf("bad days in %q", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	return days + d, err
}
