package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/stackstest"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// variant is one configuration every rule runs over.
type variant struct {
	name string
	cfg  config.Config
}

// variants are stackstest's (the set pkg/stacks' checks run over), plus
// a MLflow 2.12.2 one with a one-task gateway in another region.
func variants() []variant {
	var out []variant
	var v2 config.Config
	for _, v := range stackstest.Variants() {
		out = append(out, variant{v.Name, v.Cfg})
		if v.Name == "mlflow-2.12.2" {
			v2 = v.Cfg
		}
	}
	v2eu := v2
	v2eu.Name = "eu"
	v2eu.Region = "eu-west-1"
	v2eu.Server.DesiredCount = 1
	v2eu.Gateway.DesiredCount = 1
	return append(out, variant{"mlflow-2.12.2-one-task-eu", v2eu})
}

func render(t *testing.T, cfg config.Config) deploy.Deployment {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("variant config invalid: %v", err)
	}
	d, err := stacks.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func parse(t *testing.T, s deploy.Stack) stacks.Template {
	t.Helper()
	tpl, err := stacks.ParseTemplate(s.Template)
	if err != nil {
		t.Fatalf("stack %s: %v", s.ID, err)
	}
	return tpl
}

// forEachStack runs fn over stack id of every variant that has it.
func forEachStack(t *testing.T, id string, fn func(t *testing.T, v variant, s deploy.Stack, tpl stacks.Template)) {
	t.Helper()
	seen := 0
	for _, v := range variants() {
		for _, s := range render(t, v.cfg).Stacks {
			if s.ID != id {
				continue
			}
			seen++
			t.Run(v.name, func(t *testing.T) { fn(t, v, s, parse(t, s)) })
		}
	}
	if seen == 0 {
		t.Fatalf("no variant renders a %s stack", id)
	}
}

// forEachTrackingServer runs fn over the server and services stacks of
// every variant read as one template (stacks.TrackingServer): rules about
// a service and its NLB, network path, roles or secrets span both.
func forEachTrackingServer(t *testing.T, fn func(t *testing.T, v variant, d deploy.Deployment, tpl stacks.Template)) {
	t.Helper()
	for _, v := range variants() {
		d := render(t, v.cfg)
		t.Run(v.name, func(t *testing.T) {
			tpl, err := stacks.TrackingServer(d)
			if err != nil {
				t.Fatal(err)
			}
			if len(ofType(tpl, "AWS::ECS::Service")) == 0 {
				t.Fatal("no ECS service in the tracking server: the rule would check nothing")
			}
			fn(t, v, d, tpl)
		})
	}
}

func stackOf(t *testing.T, d deploy.Deployment, id string) deploy.Stack {
	t.Helper()
	for _, s := range d.Stacks {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no %s stack", id)
	return deploy.Stack{}
}

// forEachTemplate runs fn over every stack of every variant.
func forEachTemplate(t *testing.T, fn func(t *testing.T, v variant, s deploy.Stack, tpl stacks.Template)) {
	t.Helper()
	for _, v := range variants() {
		for _, s := range render(t, v.cfg).Stacks {
			t.Run(v.name+"/"+s.ID, func(t *testing.T) { fn(t, v, s, parse(t, s)) })
		}
	}
}

func ofType(tpl stacks.Template, typ string) map[string]stacks.Resource {
	out := map[string]stacks.Resource{}
	for id, r := range tpl.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

func sortedIDs(m map[string]stacks.Resource) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// refTarget is the logical id a !Ref or !GetAtt names, or "".
func refTarget(v any) string {
	m, _ := v.(map[string]any)
	if s, ok := m["Ref"].(string); ok {
		return s
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		s, _ := ga[0].(string)
		return s
	}
	return ""
}

// references lists every logical id a resource names: DependsOn, !Ref,
// !GetAtt and ${X} / ${X.Attr} inside !Sub.
func references(r stacks.Resource) []string {
	var out []string
	out = append(out, stackstest.AsStrings(r.DependsOn)...)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id := refTarget(x); id != "" {
				out = append(out, id)
			}
			if s, ok := x["Fn::Sub"].(string); ok {
				out = append(out, subNames(s)...)
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(r.Properties)
	return out
}

func subNames(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return out
		}
		name := s[i+2 : i+j]
		name, _, _ = strings.Cut(name, ".")
		if !strings.HasPrefix(name, "AWS::") && !strings.HasPrefix(name, "!") {
			out = append(out, name)
		}
		s = s[i+j:]
	}
}

// dependsOnAll is every resource id reachable from id through references.
func dependsOnAll(tpl stacks.Template, id string) map[string]bool {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(x string) {
		r, ok := tpl.Resources[x]
		if !ok {
			return
		}
		for _, dep := range references(r) {
			if !seen[dep] {
				seen[dep] = true
				visit(dep)
			}
		}
	}
	visit(id)
	return seen
}

// permissionDocs are the permission (not trust) policies a role holds:
// its inline policies and the template's managed policies attached to it.
func permissionDocs(tpl stacks.Template, roleID string) []any {
	role := tpl.Resources[roleID]
	var docs []any
	if ps, ok := role.Properties["Policies"].([]any); ok {
		for _, p := range ps {
			if m, ok := p.(map[string]any); ok {
				docs = append(docs, m["PolicyDocument"])
			}
		}
	}
	for _, id := range sortedIDs(ofType(tpl, "AWS::IAM::ManagedPolicy")) {
		mp := tpl.Resources[id]
		roles, _ := mp.Properties["Roles"].([]any)
		for _, r := range roles {
			if refTarget(r) == roleID {
				docs = append(docs, mp.Properties["PolicyDocument"])
			}
		}
	}
	return docs
}

// allowsAction reports whether any Allow statement of docs names action
// (exactly, or by a service wildcard such as "xray:*").
func allowsAction(docs []any, action string) bool {
	service, _, _ := strings.Cut(action, ":")
	for _, d := range docs {
		for _, st := range stackstest.Statements(d) {
			if st["Effect"] != "Allow" {
				continue
			}
			for _, a := range stackstest.AsStrings(st["Action"]) {
				if strings.EqualFold(a, action) || a == service+":*" || a == "*" {
					return true
				}
			}
		}
	}
	return false
}

// managedPolicyARNs are the AWS managed policies a role attaches, as text.
func managedPolicyARNs(r stacks.Resource) []string {
	var out []string
	list, _ := r.Properties["ManagedPolicyArns"].([]any)
	for _, a := range list {
		out = append(out, fmt.Sprint(a))
	}
	return out
}
