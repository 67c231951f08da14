package stacks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// Parameters of the studio stack.
const (
	ParamRestAPIID      = "RestApiId"
	ParamArtifactBucket = "ArtifactBucket"
	ParamVpcID          = "VpcId"
	ParamSubnetIDs      = "SubnetIds"
)

// IAM counts a managed policy's JSON without whitespace and allows 6,144
// characters. policyBudget leaves room for the statement around the
// resources; arnPrefixLen is the longest resolved stage ARN prefix
// ("arn:aws-us-gov:execute-api:ap-southeast-2:123456789012:abcdefghij/prod/").
const (
	policyBudget = 6144 - 200
	arnPrefixLen = 72
)

// maxRolePolicies is IAM's default quota of managed policies per role,
// less the role's Studio policy.
const maxRolePolicies = 9

type studioRole struct {
	LogicalID, Group, Profile string
	Classes                   []string
	WritesS3                  bool
	RunsJobs                  bool // training jobs and endpoints
	Chunks                    [][]string
}

type studioData struct {
	common
	CreateDomain bool
	DomainRef    string
	DomainSub    string // the domain id inside !Sub
	DefaultRole  string
	Roles        []studioRole
	SSMNames     []string
	ProfileNames string
	// Lifecycle is the JupyterLab lifecycle script (Fn::Sub input) and
	// LifecycleHash names it: lifecycle configurations are immutable, so a
	// changed script is a new one with a new name.
	Lifecycle     string
	LifecycleHash string
}

func newStudioData(cfg config.Config, roleResources func([]string) ([]string, error)) (studioData, error) {
	d := studioData{
		common:       common{Config: cfg, Stack: Studio},
		CreateDomain: cfg.Studio.DomainID == "",
		DomainRef:    "!GetAtt Domain.DomainId",
		DomainSub:    "${Domain.DomainId}",
	}
	if !d.CreateDomain {
		d.DomainRef = quote(cfg.Studio.DomainID)
		d.DomainSub = cfg.Studio.DomainID
	}
	script, err := LifecycleScript()
	if err != nil {
		return d, err
	}
	d.Lifecycle, d.LifecycleHash = script, hash8([]byte(script))
	for _, p := range newAPIData(cfg).SSM {
		d.SSMNames = append(d.SSMNames, p.Name)
	}
	var profiles []string
	for _, g := range cfg.Groups {
		res, err := roleResources(g.Classes)
		if err != nil {
			return d, fmt.Errorf("execute-api rights of group %q: %w", g.Name, err)
		}
		chunks := chunkBySize(res)
		if len(chunks) > maxRolePolicies {
			return d, fmt.Errorf("group %q needs %d execute-api resources, more than %d managed policies hold: give the group fewer classes", g.Name, len(res), maxRolePolicies)
		}
		r := studioRole{
			LogicalID: "Role" + logicalName(g.Name),
			Group:     g.Name,
			Profile:   profileName(cfg.Name, g.Name),
			Classes:   g.Classes,
			WritesS3:  writesS3(g.Classes),
			RunsJobs:  writesS3(g.Classes),
			Chunks:    chunks,
		}
		d.Roles = append(d.Roles, r)
		profiles = append(profiles, r.Profile)
	}
	d.ProfileNames = strings.Join(profiles, ",")
	d.DefaultRole = leastRole(d.Roles)
	return d, nil
}

// writesS3: only groups that may change MLflow data write artifacts;
// readers (and gateway-only groups) read them.
func writesS3(classes []string) bool {
	for _, c := range classes {
		if c == "write" || c == "registry" || c == "admin" {
			return true
		}
	}
	return false
}

// leastRole is the role with the fewest classes: the domain's default,
// for users who open Studio without a profile of their own.
func leastRole(roles []studioRole) string {
	best := roles[0]
	for _, r := range roles[1:] {
		if len(r.Classes) < len(best.Classes) {
			best = r
		}
	}
	return best.LogicalID
}

// profileName follows the seed: group "admins" → profile "mlflow-admin".
func profileName(deployment, group string) string {
	p := strings.ToLower(nonAlnum.ReplaceAllString(group, "-"))
	p = strings.Trim(strings.TrimSuffix(p, "s"), "-")
	name := deployment + "-" + p
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.TrimRight(name, "-")
}

// chunkBySize splits resources into groups that each fit one managed
// policy once their ARN prefix is added.
func chunkBySize(items []string) [][]string {
	items = slices.Clone(items)
	slices.Sort(items)
	items = slices.Compact(items)
	var out [][]string
	var cur []string
	size := 0
	for _, it := range items {
		n := arnPrefixLen + len(it) + 3 // quotes and comma
		if len(cur) > 0 && size+n > policyBudget {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, it)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// studioStack renders the studio stack with the permission matrix's
// rights for each group's roles.
func studioStack(cfg config.Config) (deploy.Stack, error) {
	return studioStackWith(cfg, authz.IAMResources)
}

// studioStackWith takes the rights function as an argument only so that
// tests can exercise the policy split with long route lists; Render
// always passes authz.IAMResources.
func studioStackWith(cfg config.Config, roleResources func([]string) ([]string, error)) (deploy.Stack, error) {
	d, err := newStudioData(cfg, roleResources)
	if err != nil {
		return deploy.Stack{}, err
	}
	tpl, err := renderTemplate(Studio, d)
	if err != nil {
		return deploy.Stack{}, err
	}
	imports := []deploy.Import{
		{Param: ParamRestAPIID, FromStack: API, Output: OutRestAPIID},
		{Param: ParamArtifactBucket, FromStack: Server, Output: OutArtifactBucket},
		{Param: ParamDeployBucket, FromStack: Server, Output: OutDeployBucket},
	}
	if d.CreateDomain {
		imports = append(imports,
			deploy.Import{Param: ParamVpcID, FromStack: Server, Output: OutVpcID},
			deploy.Import{Param: ParamSubnetIDs, FromStack: Server, Output: OutPrivateSubnetIDs})
	}
	return deploy.Stack{
		ID:           Studio,
		Template:     tpl,
		Params:       map[string]string{},
		Imports:      imports,
		DependsOn:    []string{Server, API},
		Capabilities: []string{"CAPABILITY_IAM"},
		Tags:         map[string]string{"mlflowctl:domain-created": strconv.FormatBool(d.CreateDomain)},
	}, nil
}
