package stacks

import (
	"fmt"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// CloudFormation quota "Template body size in an Amazon S3 object":
// 1 MB (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
// The studio stack grows with the groups; config.MaxGroupsWithStudio
// groups, each with every non-admin class (the largest policies), must
// render under it, so validation's limit is the real one.
func TestMaxGroupsFitTheTemplateLimit(t *testing.T) {
	c := config.Defaults()
	c.Studio.Enabled = true
	for i := len(c.Groups); i < config.MaxGroupsWithStudio; i++ {
		c.Groups = append(c.Groups, config.Group{Name: fmt.Sprintf("group-number-%03d", i),
			Classes: []string{"read", "write", "registry", "gateway"}, Precedence: 10 + i})
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	d, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Stacks {
		if len(s.Template) > MaxTemplateURLBody {
			t.Errorf("stack %s: %d bytes with %d groups, over %d", s.ID, len(s.Template), len(c.Groups), MaxTemplateURLBody)
		}
		if s.ID == Studio {
			t.Logf("studio template with %d groups: %d bytes", len(c.Groups), len(s.Template))
		}
	}
}
