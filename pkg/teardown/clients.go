package teardown

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sm "github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/sagemaker"
)

// Options tune a Teardown built by New.
type Options struct {
	KeepData bool
	// Poll is the interval between status checks (Studio, stacks, EFS).
	Poll time.Duration
	// StudioTimeout bounds each Studio wait (apps, spaces, profiles).
	StudioTimeout time.Duration
	// Log receives progress lines, possibly from several goroutines.
	Log func(line string)
	// Events receives the engine's stack events (for a renderer).
	Events func(deploy.Event)
	// Version is mlflowctl's version, for the engine.
	Version string
}

// New builds a Teardown of deployment name with SDK clients from cfg.
func New(cfg aws.Config, name string, o Options) *Teardown {
	smc := sm.NewFromConfig(cfg)
	cfn := cloudformation.NewFromConfig(cfg)
	return &Teardown{
		Name:     name,
		KeepData: o.KeepData,
		CFN:      cfn,
		// Path-style addressing, so a custom endpoint (an emulator) works.
		S3:      s3.NewFromConfig(cfg, func(so *s3.Options) { so.UsePathStyle = cfg.BaseEndpoint != nil }),
		ECR:     ecr.NewFromConfig(cfg),
		Tagging: tagging.NewFromConfig(cfg),
		RDS:     rds.NewFromConfig(cfg),
		Logs:    cloudwatchlogs.NewFromConfig(cfg),
		Cognito: cip.NewFromConfig(cfg),
		Studio:  &sagemaker.Studio{API: smc, Poll: o.Poll, Timeout: o.StudioTimeout, Log: o.Log},
		Storage: &sagemaker.DomainStorage{SageMaker: smc, EFS: efs.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg), Poll: o.Poll, Log: o.Log},
		NewDeleter: func(retain map[string][]string) StackDeleter {
			engine := deploy.New(cfn, deploy.Options{Version: o.Version, Yes: true})
			if o.Events != nil {
				engine.Subscribe(o.Events)
			}
			return &EngineDeleter{Engine: engine, CFN: cfn, Retain: retain, Log: o.Log}
		},
		Log: o.Log,
	}
}
