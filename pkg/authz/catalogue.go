package authz

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Route is one method and path template the MLflow servers answer.
// Path parameters are written {name} (one segment) or {name+} (the rest
// of the path, "/" included). Class is one class, or several joined by
// "|" when any of them grants the route (e.g. "write|registry").
type Route struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Class  string `json:"class"`
	// Probe marks a path the UI asks for that no plain MLflow server
	// serves (it answers 404); classified so the UI's probe is not a 403.
	Probe bool `json:"probe,omitempty"`
}

// GrantedBy tells whether a group with these classes may call the route.
func (r Route) GrantedBy(classes []string) bool {
	for _, c := range strings.Split(r.Class, "|") {
		if slices.Contains(classes, c) {
			return true
		}
	}
	return false
}

// Surfaces: who sends a route's requests, and so which enforcer sees them.
const (
	// SurfaceSDK is SigV4 traffic from SDKs (API Gateway AWS_IAM).
	SurfaceSDK = "sdk"
	// SurfaceUI is browser traffic (the Lambda authorizer).
	SurfaceUI = "ui"
	// SurfaceToken is SDK traffic with a Cognito token under TokenPrefix
	// (the Lambda authorizer on the Authorization header): the SDK
	// surface's routes with TokenPrefix in front, granted by the same
	// classes.
	SurfaceToken = "token"
)

// TokenPrefix is the path prefix of the SDK token path: /t/api/... is
// /api/... for a client that sends "Authorization: Bearer <cognito token>".
const TokenPrefix = "/t"

// UnderTokenPrefix tells whether a request path is on the token path, and
// the path MLflow sees (without the prefix).
func UnderTokenPrefix(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, TokenPrefix)
	if !ok || !strings.HasPrefix(rest, "/") {
		return path, false
	}
	return rest, true
}

// Surface tells which enforcer guards the route's path. The SDK surface is
// /api/..., the gateway invocation paths, OTLP trace ingest and /version
// and /health (the SDK calls them); everything else is the UI's. Root paths
// the SDK uses are in both, so the api stack may route them either way.
func Surface(path string) []string {
	switch {
	case strings.HasPrefix(path, "/api/"):
		return []string{SurfaceSDK}
	case strings.HasPrefix(path, "/gateway/"), strings.HasPrefix(path, "/endpoints/"),
		path == "/v1/traces", path == "/version", path == "/health":
		return []string{SurfaceSDK, SurfaceUI}
	default:
		return []string{SurfaceUI}
	}
}

func onSurface(path, surface string) bool { return slices.Contains(Surface(path), surface) }

var (
	catalogueOnce sync.Once
	catalogue     []compiledRoute
)

type compiledRoute struct {
	Route
	re       *regexp.Regexp
	literals int // characters outside parameters: more is more specific
}

// Catalogue returns every route, sorted by path then method.
func Catalogue() []Route {
	cs := compiled()
	out := make([]Route, len(cs))
	for i, c := range cs {
		out[i] = c.Route
	}
	return out
}

func compiled() []compiledRoute {
	catalogueOnce.Do(func() {
		rs, err := parseTable(routeTable)
		if err != nil {
			panic(err)
		}
		for _, r := range rs {
			re, lit := templateRegexp(r.Path)
			catalogue = append(catalogue, compiledRoute{Route: r, re: re, literals: lit})
		}
	})
	return catalogue
}

func parseTable(table string) ([]Route, error) {
	var out []Route
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(table), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			return nil, fmt.Errorf("route table line %d: want class, method, scope, path: %q", i+1, line)
		}
		class, method, scope, path := f[0], f[1], f[2], f[3]
		for _, c := range strings.Split(class, "|") {
			if !slices.Contains(Classes, c) {
				return nil, fmt.Errorf("route table line %d: unknown class %q", i+1, c)
			}
		}
		var paths []string
		probe := scope == "probe"
		switch scope {
		case "both":
			paths = []string{"/api" + path, "/ajax-api" + path}
		case "api":
			paths = []string{"/api" + path}
		case "ajax", "probe":
			paths = []string{"/ajax-api" + path}
		case "root":
			paths = []string{path}
		default:
			return nil, fmt.Errorf("route table line %d: unknown scope %q", i+1, scope)
		}
		for _, p := range paths {
			key := method + " " + Shape(p)
			if seen[key] {
				return nil, fmt.Errorf("route table line %d: %s listed twice", i+1, key)
			}
			seen[key] = true
			out = append(out, Route{Method: method, Path: p, Class: class, Probe: probe})
		}
	}
	slices.SortFunc(out, func(a, b Route) int {
		return cmpOr(strings.Compare(a.Path, b.Path), strings.Compare(a.Method, b.Method))
	})
	return out, nil
}

func cmpOr(cs ...int) int {
	for _, c := range cs {
		if c != 0 {
			return c
		}
	}
	return 0
}

var paramRe = regexp.MustCompile(`\{[A-Za-z_][A-Za-z0-9_]*(\+?)\}`)

// Shape erases parameter names, so two spellings of one route compare equal.
func Shape(path string) string { return paramRe.ReplaceAllString(path, "{$1}") }

// NormalizeServerPath turns a Flask rule (<x>, <path:x>) or a Starlette
// path ({x}, {x:path}) into the catalogue's template syntax.
func NormalizeServerPath(p string) string {
	p = regexp.MustCompile(`<path:(\w+)>`).ReplaceAllString(p, "{$1+}")
	p = regexp.MustCompile(`\{(\w+):path\}`).ReplaceAllString(p, "{$1+}")
	return regexp.MustCompile(`<(?:string:)?(\w+)>`).ReplaceAllString(p, "{$1}")
}

func templateRegexp(path string) (*regexp.Regexp, int) {
	var b strings.Builder
	b.WriteString("^")
	literals, last := 0, 0
	for _, m := range paramRe.FindAllStringSubmatchIndex(path, -1) {
		b.WriteString(regexp.QuoteMeta(path[last:m[0]]))
		literals += m[0] - last
		if m[3] > m[2] {
			b.WriteString(".+")
		} else {
			b.WriteString("[^/]+")
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(path[last:]))
	literals += len(path) - last
	b.WriteString("$")
	return regexp.MustCompile(b.String()), literals
}

// Lookup finds the catalogue route a request (method and concrete path,
// without query string) goes to. Literal segments win over parameters,
// as in the servers (e.g. traces/search before traces/{trace_id}).
func Lookup(method, path string) (Route, bool) {
	method = strings.ToUpper(method)
	var best *compiledRoute
	for i := range compiled() {
		c := &catalogue[i]
		if c.Method != method || !c.re.MatchString(path) {
			continue
		}
		if best == nil || c.literals > best.literals {
			best = c
		}
	}
	if best == nil {
		return Route{}, false
	}
	return best.Route, true
}

// Resource is the route as an execute-api resource pattern relative to
// the stage: "VERB/path" without the leading slash, parameters as "*".
func (r Route) Resource() string {
	return r.Method + "/" + strings.TrimPrefix(paramRe.ReplaceAllString(r.Path, "*"), "/")
}

// TokenResource is Resource on the token path (TokenPrefix in front).
func (r Route) TokenResource() string {
	return r.Method + "/" + strings.TrimPrefix(TokenPrefix, "/") + paramRe.ReplaceAllString(r.Path, "*")
}
