package stacks

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Template is the parsed form of a rendered template: enough to count,
// summarise and check it. Intrinsics such as !Ref X become {"Ref": X}
// and !Sub s becomes {"Fn::Sub": s}, as in JSON templates.
type Template struct {
	Description string
	Parameters  map[string]map[string]any
	Resources   map[string]Resource
	Outputs     map[string]map[string]any
}

// Resource is one resource of a template.
type Resource struct {
	Type           string
	Properties     map[string]any
	Metadata       map[string]any
	DependsOn      any
	DeletionPolicy string
}

// ParseTemplate parses a rendered YAML template.
func ParseTemplate(b []byte) (Template, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return Template{}, err
	}
	if len(n.Content) == 0 {
		return Template{}, fmt.Errorf("empty template")
	}
	doc, ok := nodeValue(n.Content[0]).(map[string]any)
	if !ok {
		return Template{}, fmt.Errorf("template is not a mapping")
	}
	t := Template{
		Parameters: mapOfMaps(doc["Parameters"]),
		Outputs:    mapOfMaps(doc["Outputs"]),
		Resources:  map[string]Resource{},
	}
	t.Description, _ = doc["Description"].(string)
	for id, r := range mapOfMaps(doc["Resources"]) {
		res := Resource{DependsOn: r["DependsOn"]}
		res.Type, _ = r["Type"].(string)
		res.Properties, _ = r["Properties"].(map[string]any)
		res.Metadata, _ = r["Metadata"].(map[string]any)
		res.DeletionPolicy, _ = r["DeletionPolicy"].(string)
		t.Resources[id] = res
	}
	return t, nil
}

// CountByType counts resources per type.
func (t Template) CountByType() map[string]int {
	out := map[string]int{}
	for _, r := range t.Resources {
		out[r.Type]++
	}
	return out
}

// ParameterNames lists the template's parameters, sorted.
func (t Template) ParameterNames() []string {
	out := make([]string, 0, len(t.Parameters))
	for k := range t.Parameters {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Description returns a resource's mlflowctl description label.
func (r Resource) Description() string {
	m, _ := r.Metadata["mlflowctl"].(map[string]any)
	s, _ := m["description"].(string)
	return s
}

func mapOfMaps(v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	m, _ := v.(map[string]any)
	for k, x := range m {
		if mm, ok := x.(map[string]any); ok {
			out[k] = mm
		}
	}
	return out
}

// nodeValue converts a YAML node to plain values, turning CloudFormation
// short-form tags into their long form.
func nodeValue(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			return nodeValue(n.Content[0])
		}
		return nil
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeValue(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			s = append(s, nodeValue(c))
		}
		v = s
	default:
		var x any
		if err := n.Decode(&x); err != nil || isCustomTag(n.Tag) {
			x = n.Value
		}
		v = x
	}
	if !isCustomTag(n.Tag) {
		return v
	}
	name := strings.TrimPrefix(n.Tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}
	case "GetAtt":
		if s, ok := v.(string); ok {
			parts := strings.SplitN(s, ".", 2)
			return map[string]any{"Fn::GetAtt": []any{parts[0], parts[len(parts)-1]}}
		}
	}
	return map[string]any{"Fn::" + name: v}
}

// isCustomTag: "!Ref" is CloudFormation's, "!!str" is YAML's own.
func isCustomTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}
