package app

import (
	"context"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/versions"
)

// VersionMoveError refuses a configured MLflow version the deployed one
// cannot move to; nothing changed (exit 2).
type VersionMoveError struct{ Err error }

func (e *VersionMoveError) Error() string { return e.Err.Error() }
func (e *VersionMoveError) Unwrap() error { return e.Err }

// ExitCode: refused before any change.
func (e *VersionMoveError) ExitCode() int { return 2 }

// CheckVersionMove refuses, before anything changes, an unsupported pair
// or a downgrade across a schema change (the way back is the pre-upgrade
// snapshot, and the error names the restore command).
func CheckVersionMove(ctx context.Context, api stacks.DescribeStacksAPI, cfg config.Config) error {
	_, err := versionMove(ctx, api, cfg)
	return err
}

// versionMove is the move from the deployed MLflow version (the server
// stack's MLflowVersion output, read before anything changes it) to the
// configured one; the zero Move when nothing is deployed or the version
// stays.
func versionMove(ctx context.Context, api stacks.DescribeStacksAPI, cfg config.Config) (versions.Move, error) {
	d, found, err := stacks.Read(ctx, api, cfg.Name, stacks.Server)
	if err != nil || !found {
		return versions.Move{}, err
	}
	from := d.Outputs[stacks.OutMLflowVersion]
	if from == "" || from == cfg.MLflowVersion {
		return versions.Move{}, nil
	}
	m, err := versions.Plan(from, cfg.MLflowVersion)
	if err != nil {
		return m, &VersionMoveError{Err: err}
	}
	return m, nil
}
