package teardown

import (
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
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

// New builds a Teardown of deployment name with a command's clients.
func New(c *awsx.Clients, name string, o Options) *Teardown {
	cfn := c.CloudFormation()
	return &Teardown{
		Name:     name,
		KeepData: o.KeepData,
		CFN:      cfn,
		S3:       c.S3(), // path-style under the emulator setting
		ECR:      c.ECR(),
		Pushed:   c.ECR(),
		Tagging:  c.Tagging(),
		RDS:      c.RDS(),
		Logs:     c.Logs(),
		Cognito:  c.Cognito(),
		Studio:   &sagemaker.Studio{API: c.SageMaker(), Poll: o.Poll, Timeout: o.StudioTimeout, Log: o.Log},
		Storage:  &sagemaker.DomainStorage{SageMaker: c.SageMaker(), EFS: c.EFS(), EC2: c.EC2(), Poll: o.Poll, Log: o.Log},
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
