package config

// DefaultName is the deployment name when none is given.
const DefaultName = "mlflow"

// DefaultMLflowVersion is the newest MLflow 3.x release confirmed on PyPI.
const DefaultMLflowVersion = "3.18.0"

// SupportedMLflowVersions are the versions whose routes, images and UI
// patch are tested. 2.12.2 is the seed's version.
var SupportedMLflowVersions = []string{"2.12.2", DefaultMLflowVersion}

// Permission classes a group can be given (see pkg/authz).
var PermissionClasses = []string{"read", "write", "registry", "gateway", "admin"}

// Defaults returns the configuration used when nothing overrides it.
func Defaults() Config {
	return Config{
		Name:          DefaultName,
		MLflowVersion: DefaultMLflowVersion,
		Network:       Network{CIDR: "10.0.0.0/16", NatGateways: 1, FlowLogs: true},
		Database: Database{
			EngineVersion:       "16.6",
			MinCapacity:         0,
			MaxCapacity:         2,
			DeletionPolicy:      "Snapshot",
			BackupRetentionDays: 7,
		},
		Server: Service{CPU: 1024, Memory: 2048, DesiredCount: 2, MaxCount: 6, Architecture: "x86_64"},
		Gateway: Gateway{
			Enabled: true,
			Service: Service{CPU: 512, Memory: 1024, DesiredCount: 1, MaxCount: 4, Architecture: "x86_64"},
			Endpoints: []Endpoint{
				{Name: "chat", Type: "llm/v1/chat", Model: DefaultChatModel},
				{Name: "embeddings", Type: "llm/v1/embeddings", Model: "amazon.titan-embed-text-v2:0"},
			},
		},
		Authorizer: Authorizer{TokenUse: "access", CacheTTLSeconds: 300},
		Cognito:    Cognito{MFA: "off", DeletionProtection: true, EmailDomain: "example.com"},
		Groups: []Group{
			{Name: "admins", Classes: []string{"read", "write", "registry", "gateway", "admin"}, Precedence: 1},
			{Name: "model-approvers", Classes: []string{"read", "registry"}, Precedence: 2},
			{Name: "readers", Classes: []string{"read"}, Precedence: 3},
		},
		Studio:  Studio{Enabled: true},
		UI:      UI{Enabled: true, Repository: "https://github.com/mlflow/mlflow.git", Patches: []string{}},
		Builder: "auto",
		Logs:    Logs{RetentionDays: 30},
	}
}
