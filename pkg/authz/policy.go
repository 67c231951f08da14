package authz

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// IAMResourcePrefix is what the studio stack's template puts before every
// pattern IAMResources returns.
const IAMResourcePrefix = "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApiId}/${Stage}/"

// MaxARNPrefixLen bounds a resolved stage ARN prefix: partition aws-us-gov,
// a 14-character region, account, 10-character API id, a stage name of up
// to 20 characters. Sizes are measured with it (it is longer than
// IAMResourcePrefix), so a policy that fits here fits once deployed.
const MaxARNPrefixLen = len("arn:aws-us-gov:execute-api:ap-southeast-2:123456789012:abcdefghij/") + 20 + 1

// IAMPolicyBudget is the most characters the execute-api policy document of
// one role may take (compact JSON, as IAM counts). IAM allows 10,240 for
// all of a role's inline policies together; this leaves 4,096 for the
// role's S3 and SSM policies, and it is also the managed-policy limit, so
// the document can be either.
const IAMPolicyBudget = 8192

// AnswerLimit bounds every answer of the Lambda authorizer (principal,
// policy document, context) for any combination of the default groups:
// API Gateway caches the answer per user and the smaller it is the
// cheaper every cached request (issue 16). TestAuthorizerAnswersAreSmall
// measures it with the longest stage ARN and a 128-character username.
const AnswerLimit = 8192

// AuthorizerGroupBudget is what one group's statement resources on one
// surface (the UI's, or the token path's) are compacted to first,
// measured like IAMPolicyBudget: it leaves 1,024 characters of
// AnswerLimit for the principal, the context and the patterns another
// default group adds to a union. Some class combinations no default group
// has cannot fit it with safe wildcards; those get AuthorizerGroupMax.
const AuthorizerGroupBudget = AnswerLimit - 1024

// AuthorizerGroupMax bounds one group's statement resources on one surface
// when AuthorizerGroupBudget cannot be met.
const AuthorizerGroupMax = 16384

// policyOverhead is the compact JSON around the resources of one
// execute-api Allow statement.
var policyOverhead = len(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":[]}]}`)

// PolicySize is the length of the compact execute-api policy document
// holding these resources with a prefix of prefixLen characters each.
func PolicySize(resources []string, prefixLen int) int {
	n := policyOverhead
	for i, r := range resources {
		n += prefixLen + len(r) + 2 // quotes
		if i > 0 {
			n++ // comma
		}
	}
	return n
}

// Generated resources per sorted class list: compaction is the costly part.
var iamCache, uiCache, tokenCache sync.Map

// IAMResources returns the execute-api resource patterns (relative to the
// stage ARN, like "GET/api/2.0/mlflow/experiments/get" or
// "POST/api/2.0/mlflow/runs/*") that grant exactly the SDK routes of these
// classes: every such route matches one, no catalogue route of another
// class matches any. Patterns are widened with "*" only as far as needed
// to fit IAMPolicyBudget.
func IAMResources(classes []string) ([]string, error) {
	return resourcesFor(classes, SurfaceSDK, IAMPolicyBudget, &iamCache)
}

// UIResources is IAMResources for the browser surface: the statements of
// one group in the authorizer's policy.
func UIResources(classes []string) ([]string, error) {
	return resourcesFor(classes, SurfaceUI, AuthorizerGroupBudget, &uiCache, AuthorizerGroupMax)
}

// TokenResources is IAMResources on the token path: the same routes and
// classes, each under TokenPrefix ("GET/t/api/2.0/mlflow/runs/get"). The
// authorizer answers a token-path request with these only.
func TokenResources(classes []string) ([]string, error) {
	return resourcesFor(classes, SurfaceToken, AuthorizerGroupBudget, &tokenCache, AuthorizerGroupMax)
}

// AuthorizerResources is one group's entry in the authorizer's policy:
// its UI statements and its token-path statements.
func AuthorizerResources(classes []string) ([]string, error) {
	ui, err := UIResources(classes)
	if err != nil {
		return nil, err
	}
	tok, err := TokenResources(classes)
	if err != nil {
		return nil, err
	}
	// Not dedupe: a UI pattern may cover a token one ("G*/..." covers
	// "GET/t/..."), but the authorizer answers each source with the
	// patterns under its own prefix, so both must stay.
	out := slices.Concat(ui, tok)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// resourcesFor compacts to budget, or failing that to the next of
// fallbacks.
func resourcesFor(classes []string, surface string, budget int, cache *sync.Map, fallbacks ...int) ([]string, error) {
	set, err := classSet(classes)
	if err != nil {
		return nil, err
	}
	key := strings.Join(set, ",")
	if v, ok := cache.Load(key); ok {
		return slices.Clone(v.([]string)), nil
	}
	var allowed, denied []string
	for _, r := range Catalogue() {
		// Each surface is judged in its own namespace: the token path's
		// patterns against /t/ requests (its authorizer guards nothing
		// else), the others against the rest.
		res := r.Resource()
		if surface == SurfaceToken {
			res = r.TokenResource()
		}
		switch {
		case !r.GrantedBy(set):
			denied = append(denied, res)
		case surface == SurfaceToken && onSurface(r.Path, SurfaceSDK), onSurface(r.Path, surface):
			allowed = append(allowed, res)
		}
	}
	out, err := compact(allowed, denied, budget)
	for _, b := range fallbacks {
		if err == nil {
			break
		}
		out, err = compact(allowed, denied, b)
	}
	if err != nil {
		return nil, fmt.Errorf("classes %s on the %s surface: %w", key, surface, err)
	}
	cache.Store(key, out)
	return slices.Clone(out), nil
}

// classSet validates and sorts a list of classes, without duplicates.
func classSet(classes []string) ([]string, error) {
	var set []string
	for _, c := range classes {
		if !slices.Contains(Classes, c) {
			return nil, fmt.Errorf("%q is not a permission class: use one of %s", c, strings.Join(Classes, ", "))
		}
		if !slices.Contains(set, c) {
			set = append(set, c)
		}
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("no permission class given: use one or more of %s", strings.Join(Classes, ", "))
	}
	slices.Sort(set)
	return set, nil
}

// compact turns the allowed patterns into as few as needed to fit the
// budget: while the policy is too large, replace the patterns under one
// "VERB/prefix*" (or "*/prefix*") by it, choosing the replacement that
// saves the most characters among those that overlap no denied pattern.
// Without pressure on size the exact patterns are kept, so a route MLflow
// adds later stays denied until it is classified.
//
// A first pass uses whole verbs; only if it cannot fit does a second allow
// verbs cut to their first letter ("P*/..." for PATCH, POST and PUT).
func compact(allowed, denied []string, budget int) ([]string, error) {
	out, err := compactWith(allowed, denied, budget, false, true)
	for _, alt := range [][2]bool{{true, true}, {false, false}, {true, false}} {
		if err == nil {
			break
		}
		out, err = compactWith(allowed, denied, budget, alt[0], alt[1])
	}
	return out, err
}

func compactWith(allowed, denied []string, budget int, short, segmentsFirst bool) ([]string, error) {
	set := dedupe(allowed)
	safe := map[string]bool{}
	isSafe := func(c string) bool {
		v, ok := safe[c]
		if !ok {
			v = !slices.ContainsFunc(denied, func(d string) bool { return Overlap(c, d) })
			safe[c] = v
		}
		return v
	}
	for PolicySize(set, MaxARNPrefixLen) > budget {
		// Whole segments first ("runs/*"); a cut inside a segment
		// ("runs/s*") only when no whole-segment wildcard helps.
		best := widest(candidates(set, segmentsFirst, short), set, isSafe)
		if best == "" {
			best = widest(candidates(set, !segmentsFirst, short), set, isSafe)
		}
		if best == "" {
			best = widest(infixCandidates(set), set, isSafe)
		}

		if best == "" {
			return nil, fmt.Errorf("the policy needs more than %d characters even with wildcards (%d now): grant this group fewer classes, or all of them", budget, PolicySize(set, MaxARNPrefixLen))
		}
		set = dedupe(append(slices.DeleteFunc(set, func(p string) bool { return Match(best, p) }), best))
	}
	return set, nil
}

// widest is the safe candidate that saves the most characters, or "".
func widest(cands, set []string, isSafe func(string) bool) string {
	best, gain := "", 0
	for _, c := range cands {
		if g := saving(c, set); g > gain || g == gain && g > 0 && better(c, best) {
			if isSafe(c) {
				best, gain = c, g
			}
		}
	}
	return best
}

func better(c, best string) bool {
	return best == "" || len(c) < len(best) || len(c) == len(best) && c < best
}

// saving is how many characters replacing the patterns c covers by c saves.
func saving(c string, set []string) int {
	covered, chars := 0, 0
	for _, p := range set {
		if Match(c, p) {
			covered++
			chars += len(p) + MaxARNPrefixLen + 3
		}
	}
	if covered < 2 {
		return 0
	}
	return chars - (len(c) + MaxARNPrefixLen + 3)
}

// candidates are the wildcards after every prefix of the literal part of
// each pattern (only prefixes ending in "/" when segments is set), with its
// own verb and with any verb (and, with short, with its first letter).
func candidates(set []string, segments, short bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range set {
		verb, path, _ := strings.Cut(p, "/")
		if star := strings.IndexAny(path, "*?"); star >= 0 {
			path = path[:star]
		}
		for k := 0; k <= len(path); k++ {
			if segments && k > 0 && path[k-1] != '/' {
				continue
			}
			verbs := []string{verb, "*"}
			if short {
				// "P*" covers PATCH, POST and PUT of one path together;
				// "D*" and "G*" are shorter spellings of DELETE and GET.
				verbs = append(verbs, verb[:1]+"*")
			}
			for _, v := range verbs {
				c := v + "/" + path[:k] + "*"
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// infixCandidates join two patterns of one verb into "VERB/prefix*suffix"
// with their common prefix and suffix (e.g. ".../runs/delete" and
// ".../experiments/delete" into ".../*delete"): the last resort, when no
// prefix wildcard is safe.
func infixCandidates(set []string) []string {
	seen := map[string]bool{}
	var out []string
	for i, a := range set {
		for _, b := range set[i+1:] {
			va, pa, _ := strings.Cut(a, "/")
			vb, pb, _ := strings.Cut(b, "/")
			if va != vb {
				continue
			}
			pre := commonPrefix(pa, pb)
			suf := commonSuffix(pa[len(pre):], pb[len(pre):])
			if strings.ContainsAny(pre+suf, "*?") && !strings.HasSuffix(suf, "*") {
				continue
			}
			c := va + "/" + pre + "*" + suf
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

func commonSuffix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return a[len(a)-n:]
}

// dedupe sorts the patterns and drops those another pattern covers.
func dedupe(ps []string) []string {
	ps = slices.Clone(ps)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	return slices.DeleteFunc(ps, func(p string) bool {
		return slices.ContainsFunc(ps, func(q string) bool { return q != p && Match(q, p) })
	})
}

// AuthorizerDoc is the policy file the Lambda authorizer loads: for each
// group, the resource patterns (relative to the stage ARN) its members may
// invoke. The authorizer allows the union over a user's known groups.
type AuthorizerDoc struct {
	Version int                 `json:"version"`
	Groups  map[string][]string `json:"groups"`
}

// AuthorizerPolicy renders the authorizer's policy file for these groups:
// deterministic bytes (sorted keys and patterns, trailing newline).
func AuthorizerPolicy(groups []config.Group) ([]byte, error) {
	doc := AuthorizerDoc{Version: 1, Groups: map[string][]string{}}
	for _, g := range groups {
		rs, err := AuthorizerResources(g.Classes)
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", g.Name, err)
		}
		doc.Groups[g.Name] = rs
	}
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// IAMPolicyDocument is the execute-api policy of one SageMaker execution
// role, with prefix (e.g. a resolved stage ARN ending in "/") before each
// pattern; the studio stack writes the same with IAMResourcePrefix.
func IAMPolicyDocument(classes []string, prefix string) ([]byte, error) {
	rs, err := IAMResources(classes)
	if err != nil {
		return nil, err
	}
	full := make([]string, len(rs))
	for i, r := range rs {
		full[i] = prefix + r
	}
	return json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": full,
		}},
	})
}
