// Package config holds the typed mlflowctl configuration, its defaults,
// loading through viper (file, MLFLOWCTL_* environment, flags) and validation.
package config

// Config describes one deployment of the whole system (DESIGN.md §2).
// The yaml/mapstructure keys are the names users write in mlflowctl.yaml.
type Config struct {
	Name          string     `yaml:"name" mapstructure:"name" json:"name"`
	Region        string     `yaml:"region" mapstructure:"region" json:"region"`
	Profile       string     `yaml:"profile" mapstructure:"profile" json:"profile"`
	AccountID     string     `yaml:"accountId" mapstructure:"accountId" json:"accountId"`
	MLflowVersion string     `yaml:"mlflowVersion" mapstructure:"mlflowVersion" json:"mlflowVersion"`
	Network       Network    `yaml:"network" mapstructure:"network" json:"network"`
	Database      Database   `yaml:"database" mapstructure:"database" json:"database"`
	Server        Service    `yaml:"server" mapstructure:"server" json:"server"`
	Gateway       Gateway    `yaml:"gateway" mapstructure:"gateway" json:"gateway"`
	Authorizer    Authorizer `yaml:"authorizer" mapstructure:"authorizer" json:"authorizer"`
	Cognito       Cognito    `yaml:"cognito" mapstructure:"cognito" json:"cognito"`
	Groups        []Group    `yaml:"groups" mapstructure:"groups" json:"groups"`
	Studio        Studio     `yaml:"studio" mapstructure:"studio" json:"studio"`
	UI            UI         `yaml:"ui" mapstructure:"ui" json:"ui"`
	Builder       string     `yaml:"builder" mapstructure:"builder" json:"builder"`
	Logs          Logs       `yaml:"logs" mapstructure:"logs" json:"logs"`
}

// Network is the deployment's VPC.
type Network struct {
	CIDR        string `yaml:"cidr" mapstructure:"cidr" json:"cidr"`
	NatGateways int    `yaml:"natGateways" mapstructure:"natGateways" json:"natGateways"`
	FlowLogs    bool   `yaml:"flowLogs" mapstructure:"flowLogs" json:"flowLogs"`
}

// Database is the Aurora Serverless v2 PostgreSQL cluster.
type Database struct {
	EngineVersion       string  `yaml:"engineVersion" mapstructure:"engineVersion" json:"engineVersion"`
	MinCapacity         float64 `yaml:"minCapacity" mapstructure:"minCapacity" json:"minCapacity"`
	MaxCapacity         float64 `yaml:"maxCapacity" mapstructure:"maxCapacity" json:"maxCapacity"`
	DeletionPolicy      string  `yaml:"deletionPolicy" mapstructure:"deletionPolicy" json:"deletionPolicy"`
	BackupRetentionDays int     `yaml:"backupRetentionDays" mapstructure:"backupRetentionDays" json:"backupRetentionDays"`
}

// Service sizes one Fargate service.
type Service struct {
	CPU          int    `yaml:"cpu" mapstructure:"cpu" json:"cpu"`
	Memory       int    `yaml:"memory" mapstructure:"memory" json:"memory"`
	DesiredCount int    `yaml:"desiredCount" mapstructure:"desiredCount" json:"desiredCount"`
	MaxCount     int    `yaml:"maxCount" mapstructure:"maxCount" json:"maxCount"`
	Architecture string `yaml:"architecture" mapstructure:"architecture" json:"architecture"`
	// Image overrides the image mlflowctl builds; empty means build it.
	Image string `yaml:"image" mapstructure:"image" json:"image"`
}

// Gateway is the MLflow AI gateway: a separate service on MLflow 2.x,
// part of the tracking server from 3.9 on.
type Gateway struct {
	Enabled       bool `yaml:"enabled" mapstructure:"enabled" json:"enabled"`
	Service       `yaml:",inline" mapstructure:",squash"`
	BedrockRegion string     `yaml:"bedrockRegion" mapstructure:"bedrockRegion" json:"bedrockRegion"`
	Endpoints     []Endpoint `yaml:"endpoints" mapstructure:"endpoints" json:"endpoints"`
}

// Endpoint is one AI gateway endpoint backed by a Bedrock model.
type Endpoint struct {
	Name  string `yaml:"name" mapstructure:"name" json:"name"`
	Type  string `yaml:"type" mapstructure:"type" json:"type"`
	Model string `yaml:"model" mapstructure:"model" json:"model"`
}

// Authorizer configures the Lambda authorizer in front of the UI routes.
type Authorizer struct {
	TokenUse        string `yaml:"tokenUse" mapstructure:"tokenUse" json:"tokenUse"`
	CacheTTLSeconds int    `yaml:"cacheTtlSeconds" mapstructure:"cacheTtlSeconds" json:"cacheTtlSeconds"`
}

// Cognito configures the user pool.
type Cognito struct {
	MFA                string `yaml:"mfa" mapstructure:"mfa" json:"mfa"`
	DeletionProtection bool   `yaml:"deletionProtection" mapstructure:"deletionProtection" json:"deletionProtection"`
	// EmailDomain is used by `users seed` for the demo users.
	EmailDomain string `yaml:"emailDomain" mapstructure:"emailDomain" json:"emailDomain"`
}

// Group is a Cognito group and the permission classes its members get.
type Group struct {
	Name       string   `yaml:"name" mapstructure:"name" json:"name"`
	Classes    []string `yaml:"classes" mapstructure:"classes" json:"classes"`
	Precedence int      `yaml:"precedence" mapstructure:"precedence" json:"precedence"`
}

// Studio configures SageMaker Studio: an existing domain or a new one.
type Studio struct {
	Enabled  bool   `yaml:"enabled" mapstructure:"enabled" json:"enabled"`
	DomainID string `yaml:"domainId" mapstructure:"domainId" json:"domainId"`
}

// UI configures the patched MLflow UI hosted on Amplify.
type UI struct {
	Enabled    bool     `yaml:"enabled" mapstructure:"enabled" json:"enabled"`
	Repository string   `yaml:"repository" mapstructure:"repository" json:"repository"`
	Patches    []string `yaml:"patches" mapstructure:"patches" json:"patches"`
	// Build is how the UI is made: auto (the released UI from the mlflow
	// wheel, patched in place, unless a patch needs a rebuild) or source.
	Build string `yaml:"build" mapstructure:"build" json:"build"`
	// PackageIndex is the Python package index the mlflow wheel comes from:
	// a simple index (a URL ending in /simple, PEP 691 or 503; the default
	// https://pypi.org/simple) or a JSON API base (https://pypi.org/pypi).
	PackageIndex string `yaml:"packageIndex" mapstructure:"packageIndex" json:"packageIndex"`
}

// UI build modes (ui.build).
const (
	UIBuildAuto   = "auto"
	UIBuildSource = "source"
)

// Logs configures CloudWatch log retention for every log group.
type Logs struct {
	RetentionDays int `yaml:"retentionDays" mapstructure:"retentionDays" json:"retentionDays"`
}

// UsesSeparateGateway reports whether the AI gateway runs as its own
// service: only on MLflow 2.x, since 3.9 serves it from the tracking server.
func (c Config) UsesSeparateGateway() bool {
	return c.Gateway.Enabled && Major(c.MLflowVersion) == 2
}

// GroupNames lists the configured group names in order.
func (c Config) GroupNames() []string {
	names := make([]string, 0, len(c.Groups))
	for _, g := range c.Groups {
		names = append(names, g.Name)
	}
	return names
}
