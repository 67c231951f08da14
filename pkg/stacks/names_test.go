package stacks

import (
	"strings"
	"testing"
)

// The names preflight checks before any change must be the names the
// templates create, in every configuration variant.
func TestGlobalNamesMatchTheRenderedTemplates(t *testing.T) {
	for _, v := range variants() {
		d := render(t, v.cfg)
		var all strings.Builder
		for _, s := range d.Stacks {
			all.Write(s.Template)
		}
		text := all.String()
		for _, b := range BucketNames(v.cfg, "${AWS::AccountId}", "${AWS::Region}") {
			if !strings.Contains(text, `BucketName: !Sub "`+b+`"`) {
				t.Errorf("%s: bucket %s is not in the templates", v.name, b)
			}
		}
		if dom := CognitoDomainPrefix(v.cfg, "${AWS::AccountId}"); !strings.Contains(text, `Domain: !Sub "`+dom+`"`) {
			t.Errorf("%s: Cognito domain %s is not in the api template", v.name, dom)
		}
		if !v.cfg.Studio.Enabled {
			continue
		}
		for _, p := range ProfileNames(v.cfg) {
			if !strings.Contains(text, `UserProfileName: "`+p+`"`) {
				t.Errorf("%s: Studio profile %s is not in the studio template", v.name, p)
			}
		}
	}
}
