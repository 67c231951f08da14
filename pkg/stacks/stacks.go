package stacks

import (
	"context"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// Options are the steps other packages supply; stacks does not import
// them, so each can be replaced in tests.
type Options struct {
	// RoleResources returns the execute-api resources a set of permission
	// classes may invoke, relative to the stage ARN, such as
	// "GET/api/2.0/mlflow/experiments/get" (pkg/authz).
	RoleResources func(classes []string) ([]string, error)
	// AuthorizerPackage returns the authorizer's zip and its key in the
	// assets bucket (pkg/authz); the api stack's Before hook uploads it.
	AuthorizerPackage func(cfg config.Config) (zip []byte, key string, err error)
	// EnsureAPIGatewayLogging makes sure the account and region have API
	// Gateway's CloudWatch role (pkg/apigwlogs) before the api stack, whose
	// stage logs errors. It keeps a role the account already has.
	EnsureAPIGatewayLogging func(ctx context.Context) error
	// UploadAsset puts an object in the assets bucket.
	UploadAsset func(ctx context.Context, bucket, key string, body []byte) error
	// BuildImages builds the server (and gateway) images and returns their
	// URIs by parameter name (ServerImage, GatewayImage).
	BuildImages func(ctx context.Context, deps deploy.Outputs) (map[string]string, error)
	// DeployUI builds (or reuses) the patched UI and deploys it to the
	// Amplify branch once the ui stack is complete.
	DeployUI func(ctx context.Context, all deploy.Outputs) error
}

// Render renders every stack of the deployment cfg describes.
func Render(cfg config.Config, opts Options) (deploy.Deployment, error) {
	d := deploy.Deployment{Name: cfg.Name}
	b, err := bootstrapStack(cfg)
	if err != nil {
		return d, err
	}
	s, err := serverStack(cfg)
	if err != nil {
		return d, err
	}
	a, err := apiStack(cfg, opts)
	if err != nil {
		return d, err
	}
	sv, err := servicesStack(cfg, opts)
	if err != nil {
		return d, err
	}
	d.Stacks = append(d.Stacks, b, s, a, sv)
	if cfg.Studio.Enabled {
		st, err := studioStack(cfg, opts)
		if err != nil {
			return d, err
		}
		d.Stacks = append(d.Stacks, st)
	}
	if cfg.UI.Enabled {
		u, err := uiStack(cfg, opts)
		if err != nil {
			return d, err
		}
		d.Stacks = append(d.Stacks, u)
	}
	return d, nil
}
