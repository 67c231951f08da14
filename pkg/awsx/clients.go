package awsx

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/amplify"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Emulator is how mlflowctl talks to an AWS-compatible endpoint (moto,
// LocalStack, a gateway) instead of AWS: one explicit setting, derived
// once from --endpoint-url, that every client and the engine read. The
// zero value is AWS itself.
type Emulator struct {
	// Endpoint is the one base URL every client calls.
	Endpoint string
	// PathStyleS3 addresses buckets by path (http://host/bucket/key):
	// emulators serve no virtual-hosted buckets.
	PathStyleS3 bool
	// CodeBuildTimestamps rewrites the ISO-8601 timestamps moto_server
	// writes in CodeBuild answers into the epoch seconds AWS sends.
	CodeBuildTimestamps bool
	// DirectStackCalls creates and updates stacks with CreateStack and
	// UpdateStack instead of change sets: moto 5.2 loses stack outputs and
	// tags on change sets (deploy.Options.DirectCalls).
	DirectStackCalls bool
}

// EmulatorFor is the setting for --endpoint-url: every emulator behaviour
// on for a custom endpoint, none for AWS.
func EmulatorFor(endpointURL string) Emulator {
	if endpointURL == "" {
		return Emulator{}
	}
	return Emulator{Endpoint: endpointURL, PathStyleS3: true, CodeBuildTimestamps: true, DirectStackCalls: true}
}

// On reports whether the endpoint is not AWS.
func (e Emulator) On() bool { return e.Endpoint != "" }

// String is the setting as --verbose shows it.
func (e Emulator) String() string {
	if !e.On() {
		return "off (AWS endpoints)"
	}
	return fmt.Sprintf("on: endpoint %s, path-style S3 %v, CodeBuild timestamps rewritten %v, stacks without change sets %v",
		e.Endpoint, e.PathStyleS3, e.CodeBuildTimestamps, e.DirectStackCalls)
}

// Clients are one command's SDK clients: built from one aws.Config and
// one Emulator setting, each on first use and then shared. Packages take
// them as the small interfaces they declare where they call AWS.
type Clients struct {
	cfg      aws.Config
	emulator Emulator
	mu       sync.Mutex
	made     map[string]any
}

// NewClients returns the clients of cfg under the emulator setting em.
func NewClients(cfg aws.Config, em Emulator) *Clients {
	if em.On() && cfg.BaseEndpoint == nil {
		cfg.BaseEndpoint = aws.String(em.Endpoint)
	}
	return &Clients{cfg: cfg, emulator: em, made: map[string]any{}}
}

// Connect loads the AWS configuration o and returns its clients under
// the emulator setting em: for look-ups whose profile and region are
// chosen while the command runs (the init wizard's), where the clients
// cannot be built once from the configuration file.
func Connect(ctx context.Context, o Options, em Emulator) (*Clients, error) {
	cfg, err := Load(ctx, o)
	if err != nil {
		return nil, err
	}
	return NewClients(cfg, em), nil
}

// Config is the AWS configuration the clients are built from.
func (c *Clients) Config() aws.Config { return c.cfg }

// Region is the clients' region.
func (c *Clients) Region() string { return c.cfg.Region }

// Emulator is the emulator setting the clients were built with.
func (c *Clients) Emulator() Emulator { return c.emulator }

// client builds the named client once.
func client[T any](c *Clients, name string, build func() T) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.made[name]; ok {
		return v.(T)
	}
	v := build()
	c.made[name] = v
	return v
}

func (c *Clients) CloudFormation() *cloudformation.Client {
	return client(c, "cloudformation", func() *cloudformation.Client { return cloudformation.NewFromConfig(c.cfg) })
}

func (c *Clients) S3() *s3.Client {
	return client(c, "s3", func() *s3.Client {
		return s3.NewFromConfig(c.cfg, func(o *s3.Options) { o.UsePathStyle = c.emulator.PathStyleS3 })
	})
}

func (c *Clients) CodeBuild() *codebuild.Client {
	return client(c, "codebuild", func() *codebuild.Client {
		return codebuild.NewFromConfig(c.cfg, func(o *codebuild.Options) {
			if c.emulator.CodeBuildTimestamps {
				o.APIOptions = append(o.APIOptions, epochTimestamps)
			}
		})
	})
}

func (c *Clients) Logs() *cloudwatchlogs.Client {
	return client(c, "logs", func() *cloudwatchlogs.Client { return cloudwatchlogs.NewFromConfig(c.cfg) })
}

func (c *Clients) ECR() *ecr.Client {
	return client(c, "ecr", func() *ecr.Client { return ecr.NewFromConfig(c.cfg) })
}

func (c *Clients) ApplicationAutoScaling() *applicationautoscaling.Client {
	return client(c, "application-autoscaling", func() *applicationautoscaling.Client {
		return applicationautoscaling.NewFromConfig(c.cfg)
	})
}

func (c *Clients) ECS() *ecs.Client {
	return client(c, "ecs", func() *ecs.Client { return ecs.NewFromConfig(c.cfg) })
}

func (c *Clients) IAM() *iam.Client {
	return client(c, "iam", func() *iam.Client { return iam.NewFromConfig(c.cfg) })
}

func (c *Clients) STS() *sts.Client {
	return client(c, "sts", func() *sts.Client { return sts.NewFromConfig(c.cfg) })
}

func (c *Clients) APIGateway() *apigateway.Client {
	return client(c, "apigateway", func() *apigateway.Client { return apigateway.NewFromConfig(c.cfg) })
}

func (c *Clients) Cognito() *cognitoidentityprovider.Client {
	return client(c, "cognito", func() *cognitoidentityprovider.Client { return cognitoidentityprovider.NewFromConfig(c.cfg) })
}

func (c *Clients) SageMaker() *sagemaker.Client {
	return client(c, "sagemaker", func() *sagemaker.Client { return sagemaker.NewFromConfig(c.cfg) })
}

func (c *Clients) EC2() *ec2.Client {
	return client(c, "ec2", func() *ec2.Client { return ec2.NewFromConfig(c.cfg) })
}

func (c *Clients) EFS() *efs.Client {
	return client(c, "efs", func() *efs.Client { return efs.NewFromConfig(c.cfg) })
}

func (c *Clients) RDS() *rds.Client {
	return client(c, "rds", func() *rds.Client { return rds.NewFromConfig(c.cfg) })
}

func (c *Clients) Tagging() *tagging.Client {
	return client(c, "tagging", func() *tagging.Client { return tagging.NewFromConfig(c.cfg) })
}

func (c *Clients) ServiceQuotas() *servicequotas.Client {
	return client(c, "servicequotas", func() *servicequotas.Client { return servicequotas.NewFromConfig(c.cfg) })
}

func (c *Clients) Amplify() *amplify.Client {
	return client(c, "amplify", func() *amplify.Client { return amplify.NewFromConfig(c.cfg) })
}

// Bedrock is the Bedrock client of a region (the gateway's Bedrock region
// may differ from the deployment's).
func (c *Clients) Bedrock(region string) *bedrock.Client {
	return client(c, "bedrock/"+region, func() *bedrock.Client {
		return bedrock.NewFromConfig(c.cfg, func(o *bedrock.Options) { o.Region = region })
	})
}
