package stacks

import (
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// The steps of up whose outputs the stacks import as parameters. pkg/app
// runs them in the deployment's graph; a dry run shows placeholders.
const (
	// StepImages builds (or finds) the server and gateway images and
	// outputs ParamServerImage and ParamGatewayImage.
	StepImages = "images"
	// StepAuthorizer uploads the authorizer's package to the assets
	// bucket and outputs its key as ParamAuthorizerCodeKey.
	StepAuthorizer = "authorizer"
)

// Render renders every stack of the deployment cfg describes.
//
// The result holds stacks only: template, parameters known from cfg,
// imports (from other stacks and from the steps above) and dependencies.
// The IAM rights of the Studio roles come from the permission matrix
// (authz.IAMResources); there is no other source.
func Render(cfg config.Config) (deploy.Deployment, error) {
	d := deploy.Deployment{Name: cfg.Name}
	b, err := bootstrapStack(cfg)
	if err != nil {
		return d, err
	}
	s, err := serverStack(cfg)
	if err != nil {
		return d, err
	}
	a, err := apiStack(cfg)
	if err != nil {
		return d, err
	}
	sv, err := servicesStack(cfg)
	if err != nil {
		return d, err
	}
	d.Stacks = append(d.Stacks, b, s, a, sv)
	if cfg.Studio.Enabled {
		st, err := studioStack(cfg)
		if err != nil {
			return d, err
		}
		d.Stacks = append(d.Stacks, st)
	}
	if cfg.UI.Enabled {
		u, err := uiStack(cfg)
		if err != nil {
			return d, err
		}
		d.Stacks = append(d.Stacks, u)
	}
	return d, nil
}
