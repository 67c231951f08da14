package stacks

import (
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
)

// TestMethodsFollowTheEnforcerTable: `authz check` names the enforcer of a
// path from authz.EnforcerFor; every method the api stack renders must be
// guarded by that enforcer (AWS_IAM for the IAM table, the Lambda
// authorizer for the token path and the UI), in every variant, or the
// check would report something the stack does not do (issue 17 item 9).
func TestMethodsFollowTheEnforcerTable(t *testing.T) {
	for _, v := range variants() {
		d := newAPIData(v.cfg)
		if len(d.Methods) == 0 {
			t.Fatalf("%s: no methods", v.name)
		}
		for _, m := range d.Methods {
			// A path as a request would have it: "{proxy+}" is some rest.
			path := strings.ReplaceAll(m.Path, "{proxy+}", "x")
			want := authz.EnforcerFor(path)
			got := authz.EnforcerAuthorizer
			if m.Auth == "AWS_IAM" {
				got = authz.EnforcerIAM
			}
			if got != want {
				t.Errorf("%s: %s %s is guarded by %s, authz check says %s", v.name, m.LogicalID, m.Path, got, want)
			}
		}
	}
}
