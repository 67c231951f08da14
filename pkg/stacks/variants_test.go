package stacks

import (
	"fmt"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/stackstest"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// variant is one configuration every check runs over.
type variant struct {
	name string
	cfg  config.Config
}

// variants are stackstest's: the default configuration and the four
// others the issue names, plus one without the optional stacks.
func variants() []variant {
	var out []variant
	for _, v := range stackstest.Variants() {
		out = append(out, variant{v.Name, v.Cfg})
	}
	return out
}

// standInRoleResources stands in for pkg/authz: a route list per class,
// long enough for admins to need more than one managed policy.
func standInRoleResources(classes []string) ([]string, error) {
	var out []string
	for _, c := range classes {
		switch c {
		case "read":
			for i := range 12 {
				out = append(out, fmt.Sprintf("GET/api/2.0/mlflow/read-%d", i), fmt.Sprintf("GET/api/3.0/mlflow/read-%d", i))
			}
			out = append(out, "POST/api/2.0/mlflow/runs/search", "POST/api/2.0/mlflow/experiments/search")
		case "write":
			for i := range 60 {
				out = append(out, fmt.Sprintf("POST/api/2.0/mlflow/write-%d", i))
			}
		case "registry":
			out = append(out, "POST/api/2.0/mlflow/registered-models/*", "POST/api/2.0/mlflow/model-versions/*")
		case "gateway":
			out = append(out, "POST/gateway/*", "POST/endpoints/*")
		case "admin":
			out = append(out, "DELETE/api/2.0/mlflow/webhooks/*")
		default:
			return nil, fmt.Errorf("unknown class %q", c)
		}
	}
	return out, nil
}

func render(t *testing.T, cfg config.Config) deploy.Deployment {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("variant config invalid: %v", err)
	}
	d, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func parsed(t *testing.T, s deploy.Stack) Template {
	t.Helper()
	tpl, err := ParseTemplate(s.Template)
	if err != nil {
		t.Fatalf("stack %s: %v", s.ID, err)
	}
	return tpl
}

func stackByID(t *testing.T, d deploy.Deployment, id string) (deploy.Stack, bool) {
	t.Helper()
	for _, s := range d.Stacks {
		if s.ID == id {
			return s, true
		}
	}
	return deploy.Stack{}, false
}

func mustStack(t *testing.T, d deploy.Deployment, id string) deploy.Stack {
	t.Helper()
	s, ok := stackByID(t, d, id)
	if !ok {
		t.Fatalf("no %s stack", id)
	}
	return s
}

// forEachTemplate runs fn over every stack of every variant.
func forEachTemplate(t *testing.T, fn func(t *testing.T, v variant, s deploy.Stack, tpl Template)) {
	for _, v := range variants() {
		d := render(t, v.cfg)
		for _, s := range d.Stacks {
			t.Run(v.name+"/"+s.ID, func(t *testing.T) { fn(t, v, s, parsed(t, s)) })
		}
	}
}

// tracking is the server and services stacks as one template
// (TrackingServer): the checks of the tracking server read it.
func tracking(t *testing.T, d deploy.Deployment) Template {
	t.Helper()
	tpl, err := TrackingServer(d)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}
