package stacks

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// Parameters of the server stack.
const (
	ParamServerImage  = "ServerImage"
	ParamGatewayImage = "GatewayImage"
	// ParamUIOrigin is the UI's origin (https://main.<app>.amplifyapp.com)
	// the tracking server admits for browser writes (MLflow 3.5+).
	ParamUIOrigin = "UiOrigin"
)

// Outputs of the server stack beyond those in outputs.go.
const (
	OutDeployBucket = "DeployBucketName"
	OutDBSecretArn  = "DbSecretArn"
	OutClusterName  = "ClusterName"
)

// envVar is one container environment variable; Value is YAML.
type envVar struct{ Name, Value string }

// service is one Fargate service behind the NLB.
type service struct {
	ID, Title, Slug        string
	ContainerPort          int
	ListenerPort           int
	HealthPath             string
	StartPeriod            int
	ContainerHealth        bool // the image has mlflowctl's health check script
	GracePeriod            int
	CPU, Memory            int
	DesiredCount, MaxCount int
	CPUArchitecture        string
	TaskRole, ImageParam   string
	DBSecrets              bool
	Env                    []envVar
}

type dataBucket struct{ LogicalID, Suffix, Description string }

type serverData struct {
	common
	UIOriginParam   bool // MLflow 3.5+: the server takes the UI origin
	AZs             []string
	NATs            []string
	SubnetBits      int
	SeparateGateway bool
	BuiltinGateway  bool
	BedrockRegion   string
	Namespace       string
	DataBuckets     []dataBucket
	Services        []service
}

func newServerData(cfg config.Config) (serverData, error) {
	bits, err := subnetBits(cfg.Network.CIDR)
	if err != nil {
		return serverData{}, err
	}
	d := serverData{
		common:          common{Config: cfg, Stack: Server},
		AZs:             []string{"A", "B"},
		NATs:            []string{"A", "B"}[:cfg.Network.NatGateways],
		SubnetBits:      bits,
		UIOriginParam:   atLeast(cfg.MLflowVersion, 3, 5),
		SeparateGateway: cfg.UsesSeparateGateway(),
		BuiltinGateway:  cfg.Gateway.Enabled && !cfg.UsesSeparateGateway(),
		BedrockRegion:   cfg.Gateway.BedrockRegion,
		Namespace:       cfg.Name + ".mlflowctl.local",
		DataBuckets: []dataBucket{
			{LogicalID: "ArtifactBucket", Suffix: "artifacts", Description: "MLflow artifact store"},
			{LogicalID: "DeployBucket", Suffix: "deploy", Description: "SageMaker model deployment bucket (the seed's mlflow-deploy-bucket)"},
		},
	}
	if d.BedrockRegion == "" {
		d.BedrockRegion = "${AWS::Region}" // the Bedrock region follows the deployment's
	}
	d.Services = []service{d.serverService()}
	if d.SeparateGateway {
		d.Services = append(d.Services, d.gatewayService())
	}
	return d, nil
}

// subnetBits sizes the six subnets: the VPC split in eight equal blocks.
func subnetBits(cidr string) (int, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return 0, fmt.Errorf("network.cidr: %w", err)
	}
	ones, _ := n.Mask.Size()
	return 32 - (ones + 3), nil
}

func arch(a string) string {
	if a == "arm64" {
		return "ARM64"
	}
	return "X86_64"
}

// The container contract of the images mlflowctl builds (pkg/build):
// the whole RDS-managed secret arrives as DB_SECRET and the entrypoint
// builds the database URI; the endpoints of the AI gateway are part of the
// image. Images given in the configuration must honour the same contract.
func (d serverData) serverService() service {
	s := d.Server
	env := []envVar{
		{"PORT", strconv.Itoa(serverContainerPort)},
		{"WORKERS", strconv.Itoa(workers(s.CPU))},
		{"DB_HOST", "!Ref DbHost"},
		{"DB_PORT", "!Ref DbPort"},
		{"DB_NAME", "mlflow"},
		{"ARTIFACT_ROOT", `!Sub "s3://${ArtifactBucket}/artifacts"`},
	}
	if atLeast(d.MLflowVersion, 3, 5) {
		// 3.5+ checks the Host header and blocks cross-origin writes: admit
		// the API Gateway and NLB hosts, and this deployment's UI origin
		// only: the UiOrigin parameter, the api stack's UiUrl (the services
		// stack depends on the api stack for it).
		hosts := fmt.Sprintf("${NlbDnsName},*.execute-api.${AWS::Region}.amazonaws.com,mlflow-server.%s", d.Namespace)
		env = append(env,
			envVar{"ALLOWED_HOSTS", "!Sub " + quote(hosts)},
			envVar{"CORS_ALLOWED_ORIGINS", "!Ref " + ParamUIOrigin})
	}
	if d.SeparateGateway {
		env = append(env, envVar{"MLFLOW_DEPLOYMENTS_TARGET",
			quote(fmt.Sprintf("http://mlflow-gateway.%s:%d", d.Namespace, gatewayContainerPort))})
	}
	if d.BuiltinGateway {
		env = append(env, envVar{"AWS_DEFAULT_REGION", `!Ref "AWS::Region"`})
	}
	return service{
		ID: "Server", Title: "MLflow tracking server", Slug: "mlflow-server",
		ContainerPort: serverContainerPort, ListenerPort: serverListenerPort,
		// The entrypoint runs `mlflow db upgrade` first, and Aurora may be
		// resuming from a pause.
		HealthPath: "/health", GracePeriod: 300, StartPeriod: 240,
		ContainerHealth: s.Image == "",
		CPU:             s.CPU, Memory: s.Memory, DesiredCount: s.DesiredCount, MaxCount: s.MaxCount,
		CPUArchitecture: arch(s.Architecture), TaskRole: "ServerTaskRole", ImageParam: ParamServerImage,
		DBSecrets: true, Env: env,
	}
}

func (d serverData) gatewayService() service {
	g := d.Gateway.Service
	env := []envVar{
		{"PORT", strconv.Itoa(gatewayContainerPort)},
		{"WORKERS", strconv.Itoa(workers(g.CPU))},
		{"AWS_DEFAULT_REGION", `!Ref "AWS::Region"`},
	}
	return service{
		ID: "Gateway", Title: "MLflow AI gateway", Slug: "mlflow-gateway",
		ContainerPort: gatewayContainerPort, ListenerPort: gatewayListenerPort,
		HealthPath: "/health", GracePeriod: 120, StartPeriod: 60,
		ContainerHealth: d.Gateway.Image == "",
		CPU:             g.CPU, Memory: g.Memory, DesiredCount: g.DesiredCount, MaxCount: g.MaxCount,
		CPUArchitecture: arch(g.Architecture), TaskRole: "GatewayTaskRole", ImageParam: ParamGatewayImage,
		Env: env,
	}
}

// workers: two server processes per vCPU, at least two.
func workers(cpu int) int {
	return max(2, cpu/512)
}

// atLeast reports whether version is major.minor or newer.
func atLeast(version string, major, minor int) bool {
	parts := strings.Split(version, ".")
	if len(parts) < 2 {
		return false
	}
	ma, _ := strconv.Atoi(parts[0])
	mi, _ := strconv.Atoi(parts[1])
	return ma > major || (ma == major && mi >= minor)
}

func serverStack(cfg config.Config) (deploy.Stack, error) {
	d, err := newServerData(cfg)
	if err != nil {
		return deploy.Stack{}, err
	}
	tpl, err := renderTemplate(Server, d)
	if err != nil {
		return deploy.Stack{}, err
	}
	return deploy.Stack{
		ID:           Server,
		Template:     tpl,
		Params:       map[string]string{},
		DependsOn:    []string{Bootstrap},
		Capabilities: []string{"CAPABILITY_IAM"},
		HoldsData:    true,
	}, nil
}

// imagesHook fills in the image parameters that the configuration leaves
// open, from the images mlflowctl builds.
func imagesHook(fixed map[string]string, gateway bool, build func(context.Context, deploy.Outputs) (map[string]string, error)) func(context.Context, deploy.Outputs) (map[string]string, error) {
	need := []string{ParamServerImage}
	if gateway {
		need = append(need, ParamGatewayImage)
	}
	missing := []string{}
	for _, p := range need {
		if fixed[p] == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return func(ctx context.Context, deps deploy.Outputs) (map[string]string, error) {
		if build == nil {
			return nil, fmt.Errorf("no image for %s: set server.image/gateway.image in mlflowctl.yaml or build them", strings.Join(missing, ", "))
		}
		built, err := build(ctx, deps)
		if err != nil {
			return nil, fmt.Errorf("build images: %w", err)
		}
		out := map[string]string{}
		for _, p := range missing {
			if built[p] == "" {
				return nil, fmt.Errorf("image build returned no %s", p)
			}
			out[p] = built[p]
		}
		return out, nil
	}
}
