package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// ValidationError lists every problem found, so a user fixes them in one pass.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	lines = append(lines, fmt.Sprintf("invalid configuration (%d problem%s):", len(e.Problems), plural(len(e.Problems))))
	for _, p := range e.Problems {
		lines = append(lines, "  - "+p.String())
	}
	return strings.Join(lines, "\n")
}

// ExitCode marks configuration problems as bad usage.
func (e *ValidationError) ExitCode() int { return 2 }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

var (
	nameRe       = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	regionRe     = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	accountRe    = regexp.MustCompile(`^[0-9]{12}$`)
	engineRe     = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	endpointRe   = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	groupRe      = regexp.MustCompile(`^[A-Za-z0-9_.+=,@-]{1,128}$`)
	domainIDRe   = regexp.MustCompile(`^d-[a-z0-9]{12}$`)
	emailDomRe   = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$`)
	endpointType = []string{"llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings"}
	retentions   = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// Fargate CPU units and the memory sizes (MiB) each allows.
var fargateMemory = map[int][]int{
	256:  {512, 1024, 2048},
	512:  rangeStep(1024, 4096, 1024),
	1024: rangeStep(2048, 8192, 1024),
	2048: rangeStep(4096, 16384, 1024),
	4096: rangeStep(8192, 30720, 1024),
	8192: rangeStep(16384, 61440, 4096),
}

func rangeStep(from, to, step int) []int {
	var out []int
	for v := from; v <= to; v += step {
		out = append(out, v)
	}
	return out
}

type checker struct{ problems []Problem }

func (c *checker) add(field, format string, args ...any) {
	c.problems = append(c.problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// ValidateName checks a deployment name; the CLI uses it for --name too.
func ValidateName(name string) error {
	if name == "" || len(name) > 20 || !nameRe.MatchString(name) || strings.HasSuffix(name, "-") {
		return fmt.Errorf("%q is not a valid deployment name: use 1-20 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen", name)
	}
	if p := awsNameProblem(name); p != "" {
		return fmt.Errorf("%s", p)
	}
	return nil
}

// ValidateRegion checks the form of an AWS region name.
func ValidateRegion(region string) error {
	if !regionRe.MatchString(region) {
		return fmt.Errorf("%q is not an AWS region name: use one like us-east-1 or eu-west-2", region)
	}
	return nil
}

// Validate reports every problem in c at once.
func (c Config) Validate() error {
	k := &checker{}
	if err := ValidateName(c.Name); err != nil {
		k.add("name", "%v", err)
	}
	if c.Region != "" {
		if err := ValidateRegion(c.Region); err != nil {
			k.add("region", "%v", err)
		}
	}
	if c.AccountID != "" && !accountRe.MatchString(c.AccountID) {
		k.add("accountId", "%q is not an AWS account id: use 12 digits, or leave it empty", c.AccountID)
	}
	if !slices.Contains(SupportedMLflowVersions, c.MLflowVersion) {
		k.add("mlflowVersion", "%q is not supported: use one of %s", c.MLflowVersion, strings.Join(SupportedMLflowVersions, ", "))
	}
	c.validateNetwork(k)
	c.validateDatabase(k)
	validateService(k, "server", c.Server)
	c.validateGateway(k)
	c.validateAuth(k)
	c.validateGroups(k)
	c.validateRest(k)
	if len(k.problems) > 0 {
		return &ValidationError{Problems: k.problems}
	}
	return nil
}

func (c Config) validateNetwork(k *checker) {
	_, ipnet, err := net.ParseCIDR(c.Network.CIDR)
	if err != nil || ipnet.IP.To4() == nil {
		k.add("network.cidr", "%q is not an IPv4 CIDR block: use one like 10.0.0.0/16", c.Network.CIDR)
	} else if ones, _ := ipnet.Mask.Size(); ones < 16 || ones > 22 {
		k.add("network.cidr", "prefix /%d is outside /16 to /22: the six subnets need at least a /22 and a VPC can be at most a /16", ones)
	}
	if c.Network.NatGateways < 1 || c.Network.NatGateways > 2 {
		k.add("network.natGateways", "%d is out of range: use 1 (one shared NAT gateway) or 2 (one per availability zone)", c.Network.NatGateways)
	}
}

func (c Config) validateDatabase(k *checker) {
	d := c.Database
	if !engineRe.MatchString(d.EngineVersion) {
		k.add("database.engineVersion", "%q is not an Aurora PostgreSQL version: use one like 16.6", d.EngineVersion)
	}
	if d.MinCapacity < 0 || d.MinCapacity > 256 || !halfStep(d.MinCapacity) {
		k.add("database.minCapacity", "%v is not a valid capacity: use 0 (auto-pause) to 256 ACU in steps of 0.5", d.MinCapacity)
	}
	if d.MaxCapacity < 1 || d.MaxCapacity > 256 || !halfStep(d.MaxCapacity) {
		k.add("database.maxCapacity", "%v is not a valid capacity: use 1 to 256 ACU in steps of 0.5", d.MaxCapacity)
	} else if d.MaxCapacity < d.MinCapacity {
		k.add("database.maxCapacity", "%v is below minCapacity %v: make maxCapacity at least minCapacity", d.MaxCapacity, d.MinCapacity)
	}
	validateAuroraVersion(k, d)
	if !slices.Contains([]string{"Snapshot", "Retain", "Delete"}, d.DeletionPolicy) {
		k.add("database.deletionPolicy", "%q is not a deletion policy: use Snapshot, Retain or Delete", d.DeletionPolicy)
	}
	if d.BackupRetentionDays < 1 || d.BackupRetentionDays > 35 {
		k.add("database.backupRetentionDays", "%d is out of range: use 1 to 35 days", d.BackupRetentionDays)
	}
}

func halfStep(v float64) bool { return v*2 == float64(int(v*2)) }

func validateService(k *checker, field string, s Service) {
	mems, ok := fargateMemory[s.CPU]
	if !ok {
		k.add(field+".cpu", "%d is not a Fargate CPU size: use one of 256, 512, 1024, 2048, 4096, 8192", s.CPU)
	} else if !slices.Contains(mems, s.Memory) {
		k.add(field+".memory", "%d MiB does not fit %d CPU units on Fargate: use %d to %d MiB (in steps of %d)",
			s.Memory, s.CPU, mems[0], mems[len(mems)-1], step(mems))
	}
	if s.DesiredCount < 1 || s.DesiredCount > 100 {
		k.add(field+".desiredCount", "%d is out of range: use 1 to 100 tasks", s.DesiredCount)
	}
	if s.MaxCount < s.DesiredCount || s.MaxCount > 100 {
		k.add(field+".maxCount", "%d is out of range: use desiredCount (%d) to 100 tasks", s.MaxCount, s.DesiredCount)
	}
	if s.Architecture != "x86_64" && s.Architecture != "arm64" {
		k.add(field+".architecture", "%q is not a Fargate architecture: use x86_64 or arm64", s.Architecture)
	}
}

func step(v []int) int {
	if len(v) < 3 {
		return v[len(v)-1] - v[0]
	}
	return v[2] - v[1]
}

func (c Config) validateGateway(k *checker) {
	g := c.Gateway
	if !g.Enabled {
		return
	}
	if c.UsesSeparateGateway() {
		validateService(k, "gateway", g.Service)
	}
	if g.BedrockRegion != "" {
		if err := ValidateRegion(g.BedrockRegion); err != nil {
			k.add("gateway.bedrockRegion", "%v, or leave it empty to use the deployment's region", err)
		}
	}
	seen := map[string]bool{}
	for i, e := range g.Endpoints {
		f := fmt.Sprintf("gateway.endpoints[%d]", i)
		if !endpointRe.MatchString(e.Name) {
			k.add(f+".name", "%q is not an endpoint name: use 1-64 letters, digits, hyphens or underscores", e.Name)
		} else if seen[e.Name] {
			k.add(f+".name", "%q is used twice: endpoint names must be unique", e.Name)
		}
		seen[e.Name] = true
		if !slices.Contains(endpointType, e.Type) {
			k.add(f+".type", "%q is not an endpoint type: use one of %s", e.Type, strings.Join(endpointType, ", "))
		} else if Major(c.MLflowVersion) == 2 && e.Type != "llm/v1/completions" {
			k.add(f+".type", "MLflow %s's Bedrock provider serves only llm/v1/completions, not %q: change the type, remove the endpoint, or set gateway.enabled: false",
				c.MLflowVersion, e.Type)
		}
		if strings.TrimSpace(e.Model) == "" {
			k.add(f+".model", "is empty: name a Bedrock model id, such as amazon.titan-embed-text-v2:0")
		} else if p := retiredProblem(e.Model); p != "" {
			k.add(f+".model", "%s", p)
		} else if p := profileRegionProblem(e.Model, c.bedrockRegion()); p != "" {
			k.add(f+".model", "%s", p)
		}
	}
}

func (c Config) validateAuth(k *checker) {
	if c.Authorizer.TokenUse != "access" && c.Authorizer.TokenUse != "id" {
		k.add("authorizer.tokenUse", "%q is not a token use: use access or id", c.Authorizer.TokenUse)
	}
	if c.Authorizer.CacheTTLSeconds < 0 || c.Authorizer.CacheTTLSeconds > 3600 {
		k.add("authorizer.cacheTtlSeconds", "%d is out of range: use 0 (no caching) to 3600 seconds", c.Authorizer.CacheTTLSeconds)
	}
	if !slices.Contains([]string{"off", "optional", "on"}, c.Cognito.MFA) {
		k.add("cognito.mfa", "%q is not an MFA setting: use off, optional or on", c.Cognito.MFA)
	}
	if !emailDomRe.MatchString(c.Cognito.EmailDomain) {
		k.add("cognito.emailDomain", "%q is not a domain name: use one like example.com", c.Cognito.EmailDomain)
	}
}

func (c Config) validateGroups(k *checker) {
	if len(c.Groups) == 0 {
		k.add("groups", "is empty: keep at least the admins group")
	}
	seen := map[string]bool{}
	for i, g := range c.Groups {
		f := fmt.Sprintf("groups[%d]", i)
		if !groupRe.MatchString(g.Name) {
			k.add(f+".name", "%q is not a group name: use 1-128 letters, digits and _.+=,@-", g.Name)
		} else if seen[g.Name] {
			k.add(f+".name", "%q is used twice: group names must be unique", g.Name)
		}
		seen[g.Name] = true
		if len(g.Classes) == 0 {
			k.add(f+".classes", "is empty: give the group at least one of %s", strings.Join(PermissionClasses, ", "))
		}
		for j, cl := range g.Classes {
			if !slices.Contains(PermissionClasses, cl) {
				k.add(fmt.Sprintf("%s.classes[%d]", f, j), "%q is not a permission class: use one of %s", cl, strings.Join(PermissionClasses, ", "))
			}
		}
		if g.Precedence < 0 {
			k.add(f+".precedence", "%d is negative: use 0 or more (lower wins)", g.Precedence)
		}
	}
}

func (c Config) validateRest(k *checker) {
	if c.Studio.DomainID != "" && !domainIDRe.MatchString(c.Studio.DomainID) {
		k.add("studio.domainId", "%q is not a SageMaker domain id: use one like d-abcdef123456, or leave it empty to create a domain", c.Studio.DomainID)
	}
	if c.UI.Enabled && !validRepoURL(c.UI.Repository) {
		k.add("ui.repository", "%q is not a git URL: use https://, http://, ssh:// or file://", c.UI.Repository)
	}
	for i, p := range c.UI.Patches {
		if strings.TrimSpace(p) == "" {
			k.add(fmt.Sprintf("ui.patches[%d]", i), "is empty: name a patch file")
		}
	}
	if !slices.Contains([]string{"auto", "codebuild", "docker"}, c.Builder) {
		k.add("builder", "%q is not an image builder: use auto, codebuild or docker", c.Builder)
	}
	if !slices.Contains(retentions, c.Logs.RetentionDays) {
		k.add("logs.retentionDays", "%d is not a CloudWatch retention: use one of %s", c.Logs.RetentionDays, joinInts(retentions))
	}
}

func validRepoURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "https", "http", "ssh":
		return u.Host != ""
	case "file":
		return u.Path != ""
	}
	return false
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// Major returns the major version number of a version like "3.18.0", or 0.
func Major(version string) int {
	n, _ := strconv.Atoi(strings.SplitN(version, ".", 2)[0])
	return n
}
