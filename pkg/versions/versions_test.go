package versions

import (
	"errors"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// The table and config's list of supported versions must agree.
func TestTableMatchesConfig(t *testing.T) {
	if strings.Join(names(), ",") != strings.Join(config.SupportedMLflowVersions, ",") {
		t.Fatalf("versions.Table %v, config.SupportedMLflowVersions %v", names(), config.SupportedMLflowVersions)
	}
}

func TestUpgradeIsAMigrationWithItsPlanLine(t *testing.T) {
	m, err := Plan("2.12.2", "3.18.0")
	if err != nil {
		t.Fatal(err)
	}
	line := m.PlanLine()
	for _, want := range []string{"MLflow 2.12.2 → 3.18.0: database schema migration", "snapshot", "mlflowctl rollback", "downtime"} {
		if !m.Migration || !strings.Contains(line, want) {
			t.Errorf("plan line %q lacks %q", line, want)
		}
	}
}

func TestDowngradeAcrossSchemaIsRefusedWithTheRestoreCommand(t *testing.T) {
	_, err := Plan("3.18.0", "2.12.2")
	var d *DowngradeError
	if !errors.As(err, &d) || !strings.Contains(err.Error(), "mlflowctl rollback") {
		t.Fatalf("want a DowngradeError naming mlflowctl rollback, got %v", err)
	}
}

func TestUnsupportedVersionNamesTheSupportedOnes(t *testing.T) {
	for _, pair := range [][2]string{{"2.12.2", "3.1.0"}, {"1.30.0", "3.18.0"}} {
		_, err := Plan(pair[0], pair[1])
		if err == nil || !strings.Contains(err.Error(), "2.12.2, 3.18.0") {
			t.Errorf("%v: %v", pair, err)
		}
	}
}

func TestSameVersionIsNoMigration(t *testing.T) {
	m, err := Plan("3.18.0", "3.18.0")
	if err != nil || m.Migration {
		t.Fatalf("%+v %v", m, err)
	}
}
