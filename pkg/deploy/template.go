package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Tags the engine puts on every stack.
const (
	TagDeployment = "mlflowctl:deployment"
	TagStack      = "mlflowctl:stack"
	TagVersion    = "mlflowctl:version"
	// TagHash holds a hash of the template, parameters, tags and
	// capabilities the stack was last deployed with: when it matches,
	// the stack is left alone without a change set.
	TagHash = "mlflowctl:hash"
)

// InlineTemplateLimit is the largest TemplateBody CloudFormation accepts;
// larger templates go through the assets bucket.
const InlineTemplateLimit = 51200

// Resource is a template resource with its display label.
type Resource struct {
	LogicalID string
	Type      string
	Label     string
}

// Resources lists a template's resources in template order, labelled
// from Metadata.mlflowctl.description (else the logical ID). It reads
// YAML or JSON, and tolerates CloudFormation's short tags (!Ref, !Sub).
func Resources(template []byte) ([]Resource, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(template, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	res := child(doc.Content[0], "Resources")
	if res == nil || res.Kind != yaml.MappingNode {
		return nil, nil
	}
	var out []Resource
	for i := 0; i+1 < len(res.Content); i += 2 {
		id, body := res.Content[i].Value, res.Content[i+1]
		r := Resource{LogicalID: id, Label: id}
		if t := child(body, "Type"); t != nil {
			r.Type = t.Value
		}
		if d := child(child(child(body, "Metadata"), "mlflowctl"), "description"); d != nil && d.Value != "" {
			r.Label = d.Value
		}
		out = append(out, r)
	}
	return out, nil
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// configHash is the fast no-op key: everything that goes into a stack
// operation, so that equal hashes mean CloudFormation has nothing to do.
func configHash(template []byte, params, tags map[string]string, caps []string, protect bool) string {
	h := sha256.New()
	h.Write(template)
	writeSorted := func(label string, m map[string]string) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			_, _ = fmt.Fprintf(h, "\x00%s\x00%s=%s", label, k, m[k])
		}
	}
	writeSorted("param", params)
	writeSorted("tag", tags)
	c := append([]string(nil), caps...)
	sort.Strings(c)
	_, _ = fmt.Fprintf(h, "\x00caps=%s\x00protect=%t", strings.Join(c, ","), protect)
	return hex.EncodeToString(h.Sum(nil))
}
