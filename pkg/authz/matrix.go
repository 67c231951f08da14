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

// Guard is one method of the api stack: the API Gateway resource it is on
// and its authorization type. The api stack's template renders its methods
// from the same list (stacks.MethodGuards), so Check reports what the
// deployed API does.
type Guard struct {
	Resource      string `json:"resource"`      // e.g. "/{proxy+}", "/version", "/api/{proxy+}"
	Authorization string `json:"authorization"` // AWS_IAM or CUSTOM
}

// EnforcerNone is the answer for a path no method of the API is on (API
// Gateway answers 403 "Missing Authentication Token").
const EnforcerNone = "none"

// EnforcerFor tells who guards a path: the authorization of the most
// specific resource that matches it, as API Gateway chooses (a literal
// segment before a {param}, a {param} before a greedy {proxy+}).
func EnforcerFor(guards []Guard, path string) (string, *Guard) {
	var best *Guard
	var bestRank []int
	for i := range guards {
		rank, ok := resourceRank(guards[i].Resource, path)
		if ok && (best == nil || slices.Compare(rank, bestRank) < 0) {
			best, bestRank = &guards[i], rank
		}
	}
	switch {
	case best == nil:
		return EnforcerNone, nil
	case best.Authorization == "AWS_IAM":
		return EnforcerIAM, best
	case best.Authorization == "CUSTOM":
		return EnforcerAuthorizer, best
	}
	return EnforcerNone, best
}

// resourceRank matches a request path to an API Gateway resource path and
// ranks the match per segment: 0 literal, 1 {param}, 2 {proxy+}.
func resourceRank(resource, path string) ([]int, bool) {
	res := strings.Split(strings.Trim(resource, "/"), "/")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if resource == "/" {
		return []int{}, path == "/"
	}
	var rank []int
	for i, r := range res {
		switch {
		case strings.HasSuffix(r, "+}") && strings.HasPrefix(r, "{"):
			if i >= len(segs) || segs[i] == "" {
				return nil, false
			}
			return append(rank, 2), true
		case i >= len(segs):
			return nil, false
		case strings.HasPrefix(r, "{") && strings.HasSuffix(r, "}"):
			if segs[i] == "" {
				return nil, false
			}
			rank = append(rank, 1)
		case r == segs[i]:
			rank = append(rank, 0)
		default:
			return nil, false
		}
	}
	return rank, len(segs) == len(res)
}

// Check decides a request the way production does: by matching it against
// the generated policies of the user's groups (IAM resources where the
// API's method is AWS_IAM, the authorizer's statements where it is the
// Lambda authorizer: the UI's, or the token path's under TokenPrefix), not
// against the classes. guards are the API's methods (stacks.MethodGuards).
func Check(groups []config.Group, guards []Guard, names []string, method, path string) (Decision, error) {
	method = strings.ToUpper(method)
	if !strings.HasPrefix(path, "/") {
		return Decision{}, fmt.Errorf("path %q must start with /", path)
	}
	path, _, _ = strings.Cut(path, "?")
	d := Decision{Method: method, Path: path, Groups: names}
	d.Enforcer, _ = EnforcerFor(guards, path)
	d.Classes, d.Known = GroupClasses(groups, names)
	mlflowPath, token := UnderTokenPrefix(path)
	if r, ok := Lookup(method, mlflowPath); ok {
		d.Route = &r
	}
	if d.Enforcer == EnforcerNone {
		d.Reason = "no method of the API is on this path: API Gateway answers 403"
		return d, nil
	}
	if len(d.Known) == 0 {
		d.Reason = "no configured group: the authorizer answers an explicit deny (403), and no role has this group"
		return d, nil
	}
	request := method + "/" + strings.TrimPrefix(path, "/")
	for _, n := range d.Known {
		g := groups[slices.IndexFunc(groups, func(g config.Group) bool { return g.Name == n })]
		rs, err := groupResources(g, d.Enforcer, token)
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

func groupResources(g config.Group, enforcer string, token bool) ([]string, error) {
	switch {
	case enforcer == EnforcerIAM:
		return IAMResources(g.Classes)
	case token:
		return TokenResources(g.Classes)
	}
	return UIResources(g.Classes)
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
			if r.GrantedBy(g.Classes) {
				row.Allowed = append(row.Allowed, g.Name)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// UnknownGroups returns the names (trimmed, once each, in order) that are
// not configured groups. Check denies such a name; the CLI refuses it, as
// `users add` does, since a typo would otherwise read as a real deny.
func UnknownGroups(groups []config.Group, names []string) []string {
	var unknown []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		known := slices.ContainsFunc(groups, func(g config.Group) bool { return g.Name == n })
		if !known && !slices.Contains(unknown, n) {
			unknown = append(unknown, n)
		}
	}
	return unknown
}

// RoutesAt returns the catalogue routes a request to path goes to, one per
// method that has one: the route Lookup (the matcher Check uses) picks for
// that method. A query string is ignored and the token path (TokenPrefix)
// resolves to the route under it, as Check does. Sorted by method.
func RoutesAt(path string) []Route {
	path, _, _ = strings.Cut(path, "?")
	mlflowPath, _ := UnderTokenPrefix(path)
	var methods []string
	for _, r := range Catalogue() {
		if !slices.Contains(methods, r.Method) {
			methods = append(methods, r.Method)
		}
	}
	slices.Sort(methods)
	out := []Route{}
	for _, m := range methods {
		if r, ok := Lookup(m, mlflowPath); ok {
			out = append(out, r)
		}
	}
	return out
}
