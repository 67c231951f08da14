package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// The steps of up beyond those whose outputs stacks import
// (stacks.StepImages, stacks.StepAuthorizer).
const (
	StepAPIGatewayLogging = "apigw-logging"
	StepUIPublish         = "ui-publish"
	StepVerify            = "verify"
)

// Graph is the deployment d with up's steps added:
//
//   - images (after bootstrap, when the services stack imports an image):
//     the services stack imports ServerImage/GatewayImage from it, so
//     Aurora, the NAT gateways and the NLB (server stack) are created
//     while it builds;
//   - apigw-logging: the account's API Gateway CloudWatch role, before
//     the api stack;
//   - authorizer (after bootstrap): the authorizer's package uploaded to
//     the assets bucket; the api stack imports its key;
//   - ui-publish (after the ui stack): the patched UI on Amplify;
//   - verify (after everything): the end-to-end checks.
func (u *Up) Graph(d deploy.Deployment, eng *deploy.Engine) deploy.Deployment {
	note := func(id string) func(string) { return func(l string) { eng.Note(id, l) } }
	g := deploy.Deployment{Name: d.Name, Stacks: slices.Clone(d.Stacks)}
	if importsFrom(d, stacks.StepImages) {
		g.Steps = append(g.Steps, deploy.Step{ID: stacks.StepImages, DependsOn: []string{stacks.Bootstrap},
			Run: func(ctx context.Context, deps deploy.Outputs) (map[string]string, error) {
				return u.Steps.BuildImages(ctx, deps, note(stacks.StepImages))
			}})
	}
	g.Steps = append(g.Steps,
		deploy.Step{ID: StepAPIGatewayLogging, Run: func(ctx context.Context, _ deploy.Outputs) (map[string]string, error) {
			return nil, u.Steps.APIGatewayLogging(ctx, note(StepAPIGatewayLogging))
		}},
		deploy.Step{ID: stacks.StepAuthorizer, DependsOn: []string{stacks.Bootstrap}, Run: u.uploadAuthorizer})
	for i := range g.Stacks {
		if g.Stacks[i].ID == stacks.API {
			// The api stack's stage writes execution logs to CloudWatch,
			// which needs the account's role first.
			g.Stacks[i].DependsOn = append(slices.Clone(g.Stacks[i].DependsOn), StepAPIGatewayLogging)
		}
	}
	last := stackIDs(d)
	if slices.Contains(last, stacks.UI) {
		g.Steps = append(g.Steps, deploy.Step{ID: StepUIPublish, DependsOn: []string{stacks.UI},
			Run: func(ctx context.Context, all deploy.Outputs) (map[string]string, error) {
				return nil, u.Steps.PublishUI(ctx, all, note(StepUIPublish))
			}})
		last = append(last, StepUIPublish)
	}
	if !u.SkipVerify {
		g.Steps = append(g.Steps, deploy.Step{ID: StepVerify, DependsOn: last,
			Run: func(ctx context.Context, all deploy.Outputs) (map[string]string, error) {
				return u.verify(ctx, all, note(StepVerify))
			}})
	}
	return g
}

// uploadAuthorizer puts the authorizer's package (content-addressed) in
// the assets bucket and outputs its key.
func (u *Up) uploadAuthorizer(ctx context.Context, deps deploy.Outputs) (map[string]string, error) {
	zip, key, err := authz.PackageAuthorizer(u.Config)
	if err != nil {
		return nil, fmt.Errorf("package the authorizer: %w", err)
	}
	bucket := deps[stacks.Bootstrap][stacks.OutAssetsBucket]
	if bucket == "" {
		return nil, fmt.Errorf("the bootstrap stack has no %s output: run mlflowctl up again", stacks.OutAssetsBucket)
	}
	if _, err := u.Assets.Upload(ctx, bucket, key, zip); err != nil {
		return nil, fmt.Errorf("upload the authorizer to s3://%s/%s: %w", bucket, key, err)
	}
	return map[string]string{stacks.ParamAuthorizerCodeKey: key}, nil
}

// verify runs the end-to-end checks once everything else is done.
func (u *Up) verify(ctx context.Context, all deploy.Outputs, progress func(string)) (map[string]string, error) {
	if err := u.Steps.Verify(ctx, all, progress); err != nil {
		return nil, &verifyStepError{err: err}
	}
	return nil, nil
}

// verifyStepError carries a verification failure through the engine, so
// Run returns it as it was (the deployment itself is in place).
type verifyStepError struct{ err error }

func (e *verifyStepError) Error() string { return e.err.Error() }
func (e *verifyStepError) Unwrap() error { return e.err }

func importsFrom(d deploy.Deployment, id string) bool {
	for _, s := range d.Stacks {
		for _, im := range s.Imports {
			if im.FromStack == id {
				return true
			}
		}
	}
	return false
}

func stackIDs(d deploy.Deployment) []string {
	ids := make([]string, len(d.Stacks))
	for i, s := range d.Stacks {
		ids[i] = s.ID
	}
	return ids
}
