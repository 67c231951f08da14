// Package versions is the one table of the MLflow versions mlflowctl
// deploys, what each needs, and the moves allowed between them.
package versions

import (
	"fmt"
	"strings"
)

// Version is one supported MLflow version and what deploying it needs.
type Version struct {
	MLflow string
	// Python and Psycopg2 lock the server image (pkg/build versionSpecs).
	Python, Psycopg2 string
	// UINode is the Node major the UI build uses (pkg/uihost).
	UINode string
	// GatewayTypes are the AI gateway endpoint types its Bedrock provider serves.
	GatewayTypes []string
	// MinServerMemory is the smallest server task memory (MiB) tested.
	MinServerMemory int
	// Schema is the alembic revision its database is at (read from the
	// real packages by pkg/upgrade's real-data test).
	Schema string
}

// Catalog is a list of versions, oldest first.
type Catalog []Version

// Table lists the supported versions, oldest first. Nothing assigns it:
// a test that needs another list builds a Catalog and calls its methods.
var Table = Catalog{
	{MLflow: "2.12.2", Python: "3.11", Psycopg2: "2.9.10", UINode: "18",
		GatewayTypes: []string{"llm/v1/completions"}, MinServerMemory: 2048, Schema: "acf3f17fdcc7"},
	{MLflow: "3.18.0", Python: "3.12", Psycopg2: "2.9.10", UINode: "22",
		GatewayTypes: []string{"llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings"}, MinServerMemory: 2048, Schema: "f4a9b2c7d1e6"},
}

// Lookup returns the table's entry for v.
func Lookup(v string) (Version, error) { return Table.Lookup(v) }

// Lookup returns the catalog's entry for v.
func (c Catalog) Lookup(v string) (Version, error) {
	for _, e := range c {
		if e.MLflow == v {
			return e, nil
		}
	}
	return Version{}, fmt.Errorf("mlflowVersion %q is not supported: use one of %s", v, strings.Join(c.names(), ", "))
}

func names() []string { return Table.names() }

func (c Catalog) names() []string {
	var out []string
	for _, e := range c {
		out = append(out, e.MLflow)
	}
	return out
}

// Move is a change of MLflow version on a running deployment.
type Move struct {
	From, To  Version
	Migration bool // the database schema changes: snapshot, migrate once, roll out
}

// PlanLine is what `up` shows for the move.
func (m Move) PlanLine() string {
	if !m.Migration {
		return fmt.Sprintf("MLflow %s → %s: same database schema, rolling update", m.From.MLflow, m.To.MLflow)
	}
	return fmt.Sprintf("MLflow %s → %s: database schema migration "+
		"(downtime while it runs: the service goes to zero tasks; a tagged Aurora snapshot is taken first; "+
		"to go back: mlflowctl rollback)", m.From.MLflow, m.To.MLflow)
}

// DowngradeError refuses a move to an older schema: MLflow has no
// downgrade migrations, so the way back is the pre-upgrade snapshot.
type DowngradeError struct{ From, To string }

func (e *DowngradeError) Error() string {
	return fmt.Sprintf("mlflowVersion: %s → %s would run MLflow %s on a database already migrated to %s's schema, which it cannot read. "+
		"Go back to the data as it was before the upgrade instead: mlflowctl rollback (it restores the pre-upgrade snapshot "+
		"through the server stack, so CloudFormation keeps owning the cluster; do not restore it by hand with "+
		"aws rds restore-db-cluster-from-snapshot --snapshot-identifier, which makes a cluster outside the stack)",
		e.From, e.To, e.To, e.From)
}

// Plan checks a move from the deployed version to the configured one.
// Upgrades go to any newer supported version (MLflow's migrations run in
// order from any older revision); a downgrade across a schema change is
// refused with the restore command.
func Plan(from, to string) (Move, error) { return Table.Plan(from, to) }

// Plan checks a move between two versions of the catalog.
func (c Catalog) Plan(from, to string) (Move, error) {
	f, err := c.Lookup(from)
	if err != nil {
		return Move{}, fmt.Errorf("the deployed %w", err)
	}
	t, err := c.Lookup(to)
	if err != nil {
		return Move{}, err
	}
	if c.index(to) < c.index(from) && f.Schema != t.Schema {
		return Move{}, &DowngradeError{From: from, To: to}
	}
	return Move{From: f, To: t, Migration: f.Schema != t.Schema}, nil
}

func (c Catalog) index(v string) int {
	for i, e := range c {
		if e.MLflow == v {
			return i
		}
	}
	return -1
}
