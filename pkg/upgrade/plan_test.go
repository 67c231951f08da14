package upgrade

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/versions"
)

// TestPlanLinesForEveryPairOfTheVersionsTable: every (deployed,
// configured) pair of the table, plus a same-schema release next to the
// newest one: equal versions plan nothing; a newer schema plans the
// migration with its downtime, snapshot name and rollback command; the
// same schema plans a rolling update; an older schema is refused with the
// rollback command; an unknown version names the supported ones.
func TestPlanLinesForEveryPairOfTheVersionsTable(t *testing.T) {
	newest := versions.Table[len(versions.Table)-1]
	patch := newest
	patch.MLflow = newest.MLflow + ".1" // same schema, newer release
	table := append(append(versions.Catalog(nil), versions.Table...), patch)

	snapName := regexp.MustCompile(`snapshot mlflowctl-team-a-pre-upgrade-YYYYMMDD-HHMMSS, tagged`)
	for i, from := range table {
		for j, to := range table {
			lines, err := planLines(table, "team-a", from.MLflow, to.MLflow)
			all := strings.Join(lines, "\n")
			switch {
			case i == j:
				if err != nil || lines != nil {
					t.Errorf("%s → itself: %q %v, want nothing", from.MLflow, all, err)
				}
			case from.Schema == to.Schema:
				if err != nil || len(lines) != 1 || !strings.Contains(all, "same database schema, rolling update") {
					t.Errorf("%s → %s: %q %v, want a rolling update", from.MLflow, to.MLflow, all, err)
				}
			case j > i:
				if err != nil || lines[0] != "MLflow "+from.MLflow+" → "+to.MLflow+": database schema migration" {
					t.Fatalf("%s → %s: %q %v", from.MLflow, to.MLflow, all, err)
				}
				for _, want := range []string{"downtime", "0 tasks", MeasuredMigration, "mlflowctl:mlflow-from=" + from.MLflow, "mlflowctl:mlflow-to=" + to.MLflow, "mlflowctl rollback"} {
					if !strings.Contains(all, want) {
						t.Errorf("%s → %s: plan lacks %q:\n%s", from.MLflow, to.MLflow, want, all)
					}
				}
				if !snapName.MatchString(all) {
					t.Errorf("plan does not name the snapshot pattern:\n%s", all)
				}
			default:
				var d *versions.DowngradeError
				if !errors.As(err, &d) || lines != nil || !strings.Contains(err.Error(), "mlflowctl rollback") {
					t.Errorf("%s → %s: want a DowngradeError naming mlflowctl rollback, got %q %v", from.MLflow, to.MLflow, all, err)
				}
			}
		}
	}
	for _, pair := range [][2]string{{"2.12.2", "9.9.9"}, {"1.30.0", "3.18.0"}} {
		if lines, err := PlanLines("team-a", pair[0], pair[1]); err == nil || lines != nil || !strings.Contains(err.Error(), "2.12.2, 3.18.0") {
			t.Errorf("%v: %q %v, want an error naming the supported versions", pair, lines, err)
		}
	}
}

// The snapshot the plan names is the one Snapshot makes (same head, the
// time in place of the pattern), also for a long deployment name.
func TestPlanSnapshotPatternMatchesTheSnapshotName(t *testing.T) {
	for _, name := range []string{"team-a", strings.Repeat("long-name-", 6)} {
		lines, err := PlanLines(name, "2.12.2", "3.18.0")
		if err != nil {
			t.Fatal(err)
		}
		id := snapshotID(name, KindPreUpgrade, fixedNow)
		pattern := snapshotHead(name, KindPreUpgrade) + "-" + timePattern
		if len(pattern) != len(id) || !strings.Contains(strings.Join(lines, "\n"), pattern) || !strings.HasPrefix(id, snapshotHead(name, KindPreUpgrade)+"-") {
			t.Errorf("%s: plan names %s, Snapshot makes %s", name, pattern, id)
		}
	}
}

var fixedNow = time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
