package stacks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/templates"
)

// IDs lists every stack ID in dependency order.
var IDs = []string{Bootstrap, Server, API, Services, Studio, UI}

// Ports of the tracking server and the separate gateway: container ports
// behind NLB listener ports (the seed's numbers).
const (
	serverContainerPort  = 5000
	serverListenerPort   = 8080
	gatewayContainerPort = 5001
	gatewayListenerPort  = 8081
)

// renderTemplate renders templates/cfn/<id>.yaml with v.
func renderTemplate(id string, v any) ([]byte, error) {
	src, err := templates.FS.ReadFile("cfn/" + id + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", id, err)
	}
	t, err := template.New(id).Option("missingkey=error").Funcs(funcs(v)).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", id, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("template %s: %w", id, err)
	}
	return buf.Bytes(), nil
}

// tagger is what every render data value offers the tags helpers.
type tagger interface {
	tagPairs() [][2]string
}

func funcs(v any) template.FuncMap {
	var pairs [][2]string
	if t, ok := v.(tagger); ok {
		pairs = t.tagPairs()
	}
	return template.FuncMap{
		"quote": quote,
		// tags is the Key/Value list form most resource types take.
		"tags": func() string {
			items := make([]string, len(pairs))
			for i, p := range pairs {
				items[i] = fmt.Sprintf("{Key: %s, Value: %s}", quote(p[0]), quote(p[1]))
			}
			return "[" + strings.Join(items, ", ") + "]"
		},
		// tagsWith adds one tag to the deployment's.
		"tagsWith": func(key, value string) string {
			items := make([]string, 0, len(pairs)+1)
			for _, p := range append(pairs[:len(pairs):len(pairs)], [2]string{key, value}) {
				items = append(items, fmt.Sprintf("{Key: %s, Value: %s}", quote(p[0]), quote(p[1])))
			}
			return "[" + strings.Join(items, ", ") + "]"
		},
		// tagmap is the map form (Cognito, SSM).
		"tagmap": func() string {
			items := make([]string, len(pairs))
			for i, p := range pairs {
				items[i] = fmt.Sprintf("%s: %s", quote(p[0]), quote(p[1]))
			}
			return "{" + strings.Join(items, ", ") + "}"
		},
		"join": strings.Join,
		"add":  func(a, b int) int { return a + b },
		"indent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
		},
	}
}

// quote writes s as a JSON string, which is also a valid YAML scalar.
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// common is what every template uses.
type common struct {
	config.Config
	Stack string
}

func (c common) tagPairs() [][2]string {
	return [][2]string{{"mlflowctl:deployment", c.Name}, {"mlflowctl:stack", c.Stack}}
}

// hash8 is a short content hash, for logical IDs that must change when
// what they snapshot changes (API Gateway deployments).
func hash8(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:4])
}
