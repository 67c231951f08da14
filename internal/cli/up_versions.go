package cli

import (
	"context"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/versions"
)

// checkVersionMove refuses, before anything changes, a configured MLflow
// version the deployed one cannot move to: an unsupported pair, or a
// downgrade across a schema change (the way back is the pre-upgrade
// snapshot, and the error names the restore command).
func checkVersionMove(ctx context.Context, api stacks.DescribeStacksAPI, cfg config.Config) error {
	d, found, err := stacks.Read(ctx, api, cfg.Name, stacks.Server)
	if err != nil || !found {
		return err
	}
	from := d.Outputs[stacks.OutMLflowVersion]
	if from == "" || from == cfg.MLflowVersion {
		return nil
	}
	if _, err := versions.Plan(from, cfg.MLflowVersion); err != nil {
		return usageErrorf("%v", err)
	}
	return nil
}
