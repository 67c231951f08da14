package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/go-viper/mapstructure/v2"
	"go.yaml.in/yaml/v3"
)

// MaxFileBytes bounds the configuration file: the largest real one is a
// few kilobytes, and reading stays quick (and Ctrl-C-able) whatever is
// handed in.
const MaxFileBytes = 1 << 20

// otherEnv are MLFLOWCTL_ variables that are not config keys.
var otherEnv = map[string]bool{
	"MLFLOWCTL_CONFIG": true, "MLFLOWCTL_ENDPOINT_URL": true, "MLFLOWCTL_ECR_REGISTRY": true,
	"MLFLOWCTL_IMAGE_DIGEST": true, "MLFLOWCTL_CHECKOV_VENV": true, "MLFLOWCTL_MLFLOW_VENV": true,
	"MLFLOWCTL_MLFLOW_VENVS": true, "MLFLOWCTL_EVENTS": true,
}

// strictHook decodes without guessing: 2.7 is not 2, "0" is not false. A
// string (as every environment variable is) becomes a number or a bool
// only when it is exactly one.
func strictHook(from, to reflect.Type, data any) (any, error) {
	switch to.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		switch v := data.(type) {
		case float64:
			if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return nil, fmt.Errorf("%v is not a whole number", v)
			}
			return int64(v), nil
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a whole number", v)
			}
			return n, nil
		case bool:
			return nil, fmt.Errorf("%v is not a whole number", v)
		}
	case reflect.Float64, reflect.Float32:
		if v, ok := data.(string); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", v)
			}
			return f, nil
		}
	case reflect.Bool:
		switch v := data.(type) {
		case string:
			switch strings.TrimSpace(v) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
			return nil, fmt.Errorf("%q is not true or false", v)
		case bool:
			return v, nil
		default:
			return nil, fmt.Errorf("%v is not true or false", v)
		}
	case reflect.String:
		switch v := data.(type) {
		case string:
			return v, printableValue(v)
		case int, int64, float64, bool:
			// YAML reads `name: 123` as a number; a string key takes its text.
			return fmt.Sprint(v), nil
		}
	}
	_ = from
	return data, nil
}

func kindOf(v any) reflect.Kind {
	if v == nil {
		return reflect.Invalid
	}
	return reflect.TypeOf(v).Kind()
}

// shapeHook runs before viper's hooks (which would split "readers" into
// a list): a section must be a mapping and a list of sections a list, or
// the decoder reports it in its own words and the section's zero values
// add problems of their own.
func shapeHook(_, to reflect.Type, data any) (any, error) {
	k := kindOf(data)
	switch {
	case k == reflect.Invalid:
	case to.Kind() == reflect.Struct && k != reflect.Map && k != reflect.Struct: // a default arrives as the struct
		return nil, fmt.Errorf("is %s; it must be a mapping of keys, one `key: value` per line indented under it (see `mlflowctl config init`)", describe(data))
	case to.Kind() == reflect.Slice && to.Elem().Kind() == reflect.Struct && k != reflect.Slice && k != reflect.Array:
		return nil, fmt.Errorf("is %s; it must be a list, one `- ` item per line (see `mlflowctl config init`)", describe(data))
	}
	return data, nil
}

// describe names a YAML value's kind in the user's words.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the text %q", x)
	case bool:
		return fmt.Sprintf("%v (true/false)", x)
	case int, int64, float64:
		return fmt.Sprintf("the number %v", x)
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Map:
		return "a mapping of keys"
	case reflect.Slice:
		return "a list"
	}
	return fmt.Sprintf("%v", v)
}

// printableValue refuses control characters (terminal escapes among them)
// in a value that mlflowctl prints back.
func printableValue(s string) error {
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return fmt.Errorf("has a control character (%U): use printable text", r)
		}
	}
	return nil
}

func decodeOptions(dc *mapstructure.DecoderConfig) {
	dc.ErrorUnused = true
	dc.WeaklyTypedInput = false
	dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(shapeHook, dc.DecodeHook, strictHook)
}

// checkKeys finds keys that differ only in case (which one wins would be
// the YAML library's choice) in a parsed file.
func checkKeys(m map[string]any, prefix string) []Problem {
	var out []Problem
	seen := map[string]string{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if other, ok := seen[strings.ToLower(k)]; ok {
			out = append(out, Problem{Field: prefix + k, Message: fmt.Sprintf("differs from %s%s only in case: keep one (keys are written as `mlflowctl config init` writes them)", prefix, other)})
			continue
		}
		seen[strings.ToLower(k)] = k
		if sub, ok := m[k].(map[string]any); ok {
			out = append(out, checkKeys(sub, prefix+k+".")...)
		}
	}
	return out
}

// envProblems reports MLFLOWCTL_ variables that set no key: a misspelling
// would otherwise be ignored without a word.
func envProblems(environ []string) []Problem {
	known := map[string]bool{}
	var names []string
	for _, k := range Keys() {
		known[EnvName(k)] = true
		names = append(names, EnvName(k))
	}
	var out []Problem
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || known[name] || otherEnv[name] {
			continue
		}
		msg := "is not a configuration variable"
		if near := nearest(name, names); near != "" {
			msg += fmt.Sprintf(": did you mean %s?", near)
		}
		out = append(out, Problem{Field: name, Message: msg})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// envSource names the variable a key's value came from, if any.
func envSource(key string, lookupEnv func(string) (string, bool)) string {
	name := EnvName(key)
	if v, ok := lookupEnv(name); ok {
		return fmt.Sprintf(" (from %s=%q)", name, v)
	}
	return ""
}

// nearest is the candidate closest to s (edit distance at most a third of
// its length), or "".
func nearest(s string, candidates []string) string {
	best, bestD := "", len(s)/3+1
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance, in O(len(a)·len(b)) with one row.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt // no key is that long; keep the cost bounded
	}
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)]
}

// unknownKeys lists (and removes) the file's keys that are no
// configuration key, each with the nearest known one, in one pass. (viper's merge
// checks each key against all others: quadratic, minutes for 40,000
// unknown keys; so nothing unknown reaches it.)
func unknownKeys(m map[string]any) []Problem {
	known := map[string]bool{}
	children := map[string][]string{}
	for k := range leafKeys(Defaults()) {
		parts := strings.Split(k, ".")
		for i := range parts {
			full := strings.Join(parts[:i+1], ".")
			parent := strings.Join(parts[:i], ".")
			if !known[strings.ToLower(full)] {
				children[parent] = append(children[parent], parts[i])
			}
			known[strings.ToLower(full)] = true
		}
	}
	var out []Problem
	var walk func(m map[string]any, prefix string)
	walk = func(m map[string]any, prefix string) {
		for k, v := range m {
			full := prefix + k
			if !known[strings.ToLower(full)] {
				msg := "is not a configuration key"
				if near := nearest(k, children[strings.TrimSuffix(prefix, ".")]); near != "" {
					msg += fmt.Sprintf(": did you mean %s%s?", prefix, near)
				}
				out = append(out, Problem{Field: full, Message: msg + " (see `mlflowctl config init` for every key)"})
				delete(m, k)
				continue
			}
			if sub, ok := v.(map[string]any); ok {
				walk(sub, full+".")
			}
		}
	}
	walk(m, "")
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// parseYAML reads the file into plain maps in one pass. yaml.v3 checks a
// mapping for duplicate keys pair by pair when it decodes into a map
// (quadratic: seconds for 20,000 keys), so the document is read as nodes
// and the duplicates are found with a map here. Anchors and aliases are
// refused: a configuration needs none, and they can expand without bound.
func parseYAML(data []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil // an empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the file must be a mapping of keys (name: …, region: …)", root.Line)
	}
	v, err := fromNode(root)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}

func fromNode(n *yaml.Node) (any, error) {
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("line %d: anchors and aliases (&, *) are not supported: write the value out", n.Line)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return nil, fmt.Errorf("line %d: a key must be plain text", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice in the same mapping", k.Line, k.Value)
			}
			v, err := fromNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fmt.Errorf("line %d: %w", n.Line, err)
	}
	return v, nil
}
