package upgrade

import (
	"fmt"

	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/versions"
)

// MeasuredMigration is the 2.12.2 → 3.18.0 schema migration of the
// real-data test database (9 runs with params/metrics/tags, 2 registered
// models, 6 versions with stages and aliases): the whole `migrate` process
// (Python start, MLflow import, every alembic revision), measured by
// TestRealUpgrade2122To3180KeepsEveryObject on real PostgreSQL 15 on a
// shared 2-core machine: 4.8 s, and 11.2 s at a load average of 21. It is
// the order of magnitude the plan shows: the migrations are mostly DDL, so
// a bigger database adds little.
const MeasuredMigration = "5 to 11 s"

// Service and Container are the tracking server's ECS service and its
// MLflow container in the server stack (ServiceName and the container
// Name are the service's slug, templates/cfn/server.yaml).
const (
	Service   = "mlflow-server"
	Container = "mlflow-server"
)

// DeploymentOf names what an upgrade of deployment name touches, from its
// server stack's outputs.
func DeploymentOf(name string, serverOutputs map[string]string) Deployment {
	return Deployment{
		Name: name, Stack: name + "-" + stacks.Server, DBCluster: serverOutputs[stacks.OutDBClusterID],
		ECSCluster: serverOutputs[stacks.OutClusterName], Service: Service, Container: Container,
	}
}

// PlanLines is what `up` shows before it changes a deployment of name from
// the deployed MLflow version (the server stack's MLflowVersion output) to
// the configured one: nothing when they are equal or nothing is
// deployed yet (from is ""), one line for a move on
// the same schema, and for a schema migration the line with what it
// implies (downtime, the snapshot, the way back). A move the versions
// table does not allow is an error (a *versions.DowngradeError for a
// downgrade across a schema change), before anything changes.
func PlanLines(name, from, to string) ([]string, error) {
	return planLines(versions.Table, name, from, to)
}

// planLines is PlanLines over a given catalog of versions.
func planLines(c versions.Catalog, name, from, to string) ([]string, error) {
	if from == "" || from == to { // nothing deployed yet, or no move
		return nil, nil
	}
	m, err := c.Plan(from, to)
	if err != nil {
		return nil, err
	}
	if !m.Migration {
		return []string{fmt.Sprintf("MLflow %s → %s: same database schema, rolling update (no downtime, no snapshot)", from, to)}, nil
	}
	return []string{
		fmt.Sprintf("MLflow %s → %s: database schema migration", from, to),
		fmt.Sprintf("  downtime: the service %s goes to 0 tasks while one task with the %s image migrates the schema "+
			"(%s for the test database, plus a Fargate task start), then the %s tasks start", Service, to, MeasuredMigration, to),
		fmt.Sprintf("  first: a manual Aurora snapshot %s, tagged %s=%s %s=%s %s=%s, waited for",
			snapshotHead(name, KindPreUpgrade)+"-"+timePattern, TagDeployment, name, TagFromVersion, from, TagToVersion, to),
		fmt.Sprintf("  to go back to MLflow %s with the data as it was: %s", from, RollbackCommand("")),
	}, nil
}
