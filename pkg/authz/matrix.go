package authz

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// Enforcers: who decides a request.
const (
	EnforcerIAM        = "iam"        // API Gateway AWS_IAM, the execution roles' policies
	EnforcerAuthorizer = "authorizer" // the Lambda authorizer, the groups' statements
)

// Decision is the answer for one request by members of some groups.
type Decision struct {
	Allow    bool     `json:"allow"`
	Method   string   `json:"method"`
	Path     string   `json:"path"`
	Groups   []string `json:"groups"`
	Known    []string `json:"knownGroups"`
	Classes  []string `json:"classes"`
	Route    *Route   `json:"route,omitempty"`
	Enforcer string   `json:"enforcer"`
	// Statement is the resource pattern that allowed the request.
	Statement string `json:"statement,omitempty"`
	Reason    string `json:"reason"`
}

// GroupClasses returns the union of the classes of the named groups that
// are configured, and which of the names those were.
func GroupClasses(groups []config.Group, names []string) (classes, known []string) {
	for _, n := range names {
		i := slices.IndexFunc(groups, func(g config.Group) bool { return g.Name == n })
		if i < 0 || slices.Contains(known, n) {
			continue
		}
		known = append(known, n)
		for _, c := range groups[i].Classes {
			if !slices.Contains(classes, c) {
				classes = append(classes, c)
			}
		}
	}
	slices.Sort(classes)
	return classes, known
}

// The one table of which paths the api stack sends through AWS_IAM
// (pkg/stacks builds its methods to match, and its
// TestMethodsFollowTheEnforcerTable checks every rendered method against
// EnforcerFor): the SDK's REST API, the AI gateway's invocation paths, and
// the root paths SDKs call.
var (
	IAMPathPrefixes = []string{"/api/", "/gateway/", "/endpoints/"}
	IAMExactPaths   = []string{"/version", "/health", "/v1/traces"}
)

// EnforcerFor tells who guards a path: the paths in the IAM table are
// SigV4 (IAM); the token path (/t/...) and everything else are decided by
// the authorizer (from the Authorization header on /t, from the UI's
// cookie elsewhere).
func EnforcerFor(path string) string {
	if strings.HasPrefix(path, TokenPathPrefix+"/") {
		return EnforcerAuthorizer
	}
	if slices.Contains(IAMExactPaths, path) || slices.ContainsFunc(IAMPathPrefixes, func(p string) bool { return strings.HasPrefix(path, p) }) {
		return EnforcerIAM
	}
	return EnforcerAuthorizer
}

// Check decides a request the way production does: by matching it against
// the generated policies of the user's groups (IAM resources for /api
// paths, the authorizer's statements otherwise), not against the classes.
func Check(groups []config.Group, names []string, method, path string) (Decision, error) {
	method = strings.ToUpper(method)
	if !strings.HasPrefix(path, "/") {
		return Decision{}, fmt.Errorf("path %q must start with /", path)
	}
	path, _, _ = strings.Cut(path, "?")
	d := Decision{Method: method, Path: path, Groups: names, Enforcer: EnforcerFor(path)}
	d.Classes, d.Known = GroupClasses(groups, names)
	// A token-path request is the SDK route under TokenPathPrefix.
	route := path
	if strings.HasPrefix(path, TokenPathPrefix+"/") {
		route = strings.TrimPrefix(path, TokenPathPrefix)
	}
	if r, ok := Lookup(method, route); ok {
		d.Route = &r
	}
	if len(d.Known) == 0 {
		d.Reason = "no configured group: the authorizer answers an explicit deny (403), and no role has this group"
		return d, nil
	}
	request := method + "/" + strings.TrimPrefix(path, "/")
	for _, n := range d.Known {
		g := groups[slices.IndexFunc(groups, func(g config.Group) bool { return g.Name == n })]
		rs, err := groupResources(g, d.Enforcer)
		if err != nil {
			return Decision{}, err
		}
		if i := slices.IndexFunc(rs, func(p string) bool { return Match(p, request) }); i >= 0 {
			d.Allow, d.Statement = true, rs[i]
			d.Reason = fmt.Sprintf("group %s may invoke %s", n, rs[i])
			return d, nil
		}
	}
	if d.Route == nil {
		d.Reason = "not a catalogued MLflow route: denied"
	} else {
		d.Reason = fmt.Sprintf("class %s is not granted to %s", d.Route.Class, strings.Join(d.Known, ", "))
	}
	return d, nil
}

func groupResources(g config.Group, enforcer string) ([]string, error) {
	if enforcer == EnforcerIAM {
		return IAMResources(g.Classes)
	}
	return AuthorizerResources(g.Classes)
}

// MatrixRow is one route and the configured groups allowed to call it.
type MatrixRow struct {
	Route
	Allowed []string `json:"allowed"`
}

// Matrix lists every catalogued route with the groups whose classes
// include its class.
func Matrix(groups []config.Group) []MatrixRow {
	rows := make([]MatrixRow, 0, len(Catalogue()))
	for _, r := range Catalogue() {
		row := MatrixRow{Route: r, Allowed: []string{}}
		for _, g := range groups {
			if slices.Contains(g.Classes, r.Class) {
				row.Allowed = append(row.Allowed, g.Name)
			}
		}
		rows = append(rows, row)
	}
	return rows
}
