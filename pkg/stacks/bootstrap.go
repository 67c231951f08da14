package stacks

import (
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// repository is one ECR repository of the bootstrap stack.
type repository struct {
	LogicalID, Name, Output, Description string
	// Immutable tags: images tagged by content hash never change.
	Immutable     bool
	MutableReason string
}

// LifecyclePolicy keeps the 20 newest images and drops untagged ones
// after a day, so rebuilt images do not pile up.
func (repository) LifecyclePolicy() string {
	return `{"rules":[` +
		`{"rulePriority":1,"description":"drop untagged images after a day","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}},` +
		`{"rulePriority":2,"description":"keep the 20 newest images","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":20},"action":{"type":"expire"}}]}`
}

type bootstrapData struct {
	common
	Repositories []repository
}

// repositories are named <deployment>-server, -gateway and -pyfunc: for
// the default deployment "mlflow" that is mlflow-pyfunc, the repository
// the seed's labs pull from.
func repositories(name string) []repository {
	return []repository{
		{LogicalID: "ServerRepository", Name: name + "-server", Output: OutServerRepositoryURI,
			Description: "ECR repository of the MLflow tracking server image", Immutable: true},
		{LogicalID: "GatewayRepository", Name: name + "-gateway", Output: OutGatewayRepositoryURI,
			Description: "ECR repository of the MLflow 2.x AI gateway image", Immutable: true},
		{LogicalID: "PyfuncRepository", Name: name + "-pyfunc", Output: OutPyfuncRepositoryURI,
			Description:   "ECR repository of the MLflow pyfunc serving image",
			MutableReason: "push-container tags mlflow-pyfunc:<MLflow version> as the seed's labs expect, and re-pushes that tag after a rebuild"},
	}
}

func bootstrapStack(cfg config.Config) (deploy.Stack, error) {
	tpl, err := renderTemplate(Bootstrap, bootstrapData{
		common:       common{Config: cfg, Stack: Bootstrap},
		Repositories: repositories(cfg.Name),
	})
	if err != nil {
		return deploy.Stack{}, err
	}
	return deploy.Stack{
		ID:           Bootstrap,
		Template:     tpl,
		Params:       map[string]string{},
		Capabilities: []string{"CAPABILITY_IAM"},
		HoldsData:    false,
	}, nil
}
