package stacks

import (
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// ParamAmplifyAppID is the ui stack's parameter for the api stack's app.
const ParamAmplifyAppID = "AmplifyAppId"

func uiStack(cfg config.Config) (deploy.Stack, error) {
	tpl, err := renderTemplate(UI, common{Config: cfg, Stack: UI})
	if err != nil {
		return deploy.Stack{}, err
	}
	return deploy.Stack{
		ID:        UI,
		Template:  tpl,
		Params:    map[string]string{},
		Imports:   []deploy.Import{{Param: ParamAmplifyAppID, FromStack: API, Output: OutAmplifyAppID}},
		DependsOn: []string{API},
	}, nil
}
