package app

import (
	"context"
	"errors"
	"slices"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/upgrade"
	"github.com/mlflowctl/mlflowctl/pkg/versions"
)

// The steps of an up that changes the database schema.
const (
	StepMigrate   = "migrate"
	StepScaleBack = "scale-back"
)

// withMigration puts a schema migration into the graph g: the migrate
// step runs once the server stack (the database, the ECS cluster) is up
// to date and the new image is built, and before the services stack
// rolls the new image out; scale-back starts the new version's tasks
// after it. A failed migration puts the old tasks back (pkg/upgrade) and
// the services stack, which waits for it, is not touched.
func (u *Up) withMigration(g deploy.Deployment, move versions.Move, eng *deploy.Engine) (deploy.Deployment, error) {
	if u.Steps.Migrate == nil {
		return g, errors.New("app.Up: Steps.Migrate is not set, and MLflow " + move.From.MLflow + " → " + move.To.MLflow + " migrates the database")
	}
	deps := []string{stacks.Server}
	built := slices.ContainsFunc(g.Steps, func(s deploy.Step) bool { return s.ID == stacks.StepImages })
	if built {
		deps = append(deps, stacks.StepImages)
	}
	var finish func(context.Context) error
	note := func(l string) { eng.Note(StepMigrate, l) }
	g.Steps = append(g.Steps, deploy.Step{ID: StepMigrate, DependsOn: deps,
		Run: func(ctx context.Context, all deploy.Outputs) (map[string]string, error) {
			image := all[stacks.StepImages][stacks.ParamServerImage]
			if !built {
				image = stackParam(g, stacks.Services, stacks.ParamServerImage)
			}
			f, err := u.Steps.Migrate(ctx, move, all[stacks.Server], image, note)
			finish = f
			return nil, err
		}},
		deploy.Step{ID: StepScaleBack, DependsOn: []string{stacks.Services},
			Run: func(ctx context.Context, _ deploy.Outputs) (map[string]string, error) {
				return nil, finish(ctx)
			}})
	for i := range g.Stacks {
		if g.Stacks[i].ID == stacks.Services {
			g.Stacks[i].DependsOn = append(slices.Clone(g.Stacks[i].DependsOn), StepMigrate)
		}
	}
	for i := range g.Steps {
		if g.Steps[i].ID == StepVerify { // verify the new version's tasks, not zero tasks
			g.Steps[i].DependsOn = append(slices.Clone(g.Steps[i].DependsOn), StepScaleBack)
		}
	}
	return g, nil
}

// showMove prints the plan lines of a change of MLflow version.
func (u *Up) showMove(move versions.Move) error {
	if move.To.MLflow == "" || u.UI.ShowMove == nil {
		return nil
	}
	lines, err := upgrade.PlanLines(u.Config.Name, move.From.MLflow, move.To.MLflow)
	if err != nil {
		return err
	}
	return u.UI.ShowMove(lines)
}

func stackParam(g deploy.Deployment, id, param string) string {
	for _, s := range g.Stacks {
		if s.ID == id {
			return s.Params[param]
		}
	}
	return ""
}
