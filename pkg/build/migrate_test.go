package build

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/mlflowtest"
	"github.com/mlflowctl/mlflowctl/internal/pgtest"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// TestServersStartTogetherOnOneDatabase: ECS starts every task of the
// service at once (desiredCount 2 by default, more after autoscaling), each
// running the entrypoint, which creates or upgrades MLflow's schema. Four
// start together on an empty database, and four MLflow 3.18.0 tasks on a
// 2.12.2 schema (a version upgrade); all must come up and the schema must
// be MLflow's head revision with one Default experiment. Without a lock,
// two creating the tables die with UniqueViolation on alembic_version.
func TestServersStartTogetherOnOneDatabase(t *testing.T) {
	for _, version := range config.SupportedMLflowVersions {
		t.Run("empty/"+version, func(t *testing.T) {
			pg := newMlflowDatabase(t)
			startTogether(t, pg, version, 4)
			checkSchema(t, pg, version)
		})
	}
	t.Run("upgrade/2.12.2-to-"+config.DefaultMLflowVersion, func(t *testing.T) {
		pg := newMlflowDatabase(t)
		old := startTogether(t, pg, "2.12.2", 1)
		old[0].Stop()
		checkSchema(t, pg, "2.12.2")
		startTogether(t, pg, config.DefaultMLflowVersion, 4)
		checkSchema(t, pg, config.DefaultMLflowVersion)
	})
}

func newMlflowDatabase(t *testing.T) *pgtest.Server {
	t.Helper()
	pg := pgtest.Start(t)
	pg.SQL(t, `CREATE ROLE mlflow LOGIN PASSWORD $pw$`+dbPassword+`$pw$`)
	pg.SQL(t, `CREATE DATABASE mlflow OWNER mlflow`)
	return pg
}

// startTogether starts n server entrypoints of version at once and waits
// until each answers /health and the REST API.
func startTogether(t *testing.T, pg *pgtest.Server, version string, n int) []*mlflowtest.Proc {
	t.Helper()
	venv := mlflowtest.Venv(t, version)
	cfg := testConfig(version)
	cfg.Gateway.Enabled = false
	dir := serverImageDir(t, cfg)
	secret := fmt.Sprintf(`{"username":"mlflow","password":%q}`, dbPassword)
	var started []*mlflowtest.Proc
	var bases []string
	for range n {
		port := pgtest.FreePort(t)
		env := append(mlflowtest.Env(venv), "DB_SECRET="+secret, "DB_HOST=127.0.0.1", "DB_PORT="+strconv.Itoa(pg.Port), "DB_NAME=mlflow",
			"ARTIFACT_ROOT="+t.TempDir(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "WORKERS=1", "MLFLOW_VERSION="+version,
			"MLFLOWCTL_DB_AUTH_FILE="+filepath.Join(t.TempDir(), "refused"))
		started = append(started, startEntrypoint(t, filepath.Join(venv, "bin", "python"), filepath.Join(dir, "entrypoint.py"), env))
		bases = append(bases, fmt.Sprintf("http://127.0.0.1:%d", port))
	}
	for i, s := range started {
		s.WaitHealthy(t, bases[i]+"/health")
		if got := status(t, http.MethodPost, bases[i]+"/api/2.0/mlflow/experiments/search", "", `{"max_results": 5}`); got != http.StatusOK {
			t.Fatalf("server %d of %d: experiments/search %d:\n%s", i+1, n, got, s.Log())
		}
		noSecretShown(t, s.Log(), dbPassword)
	}
	return started
}

// checkSchema: one alembic_version row at version's head revision, one
// Default experiment.
func checkSchema(t *testing.T, pg *pgtest.Server, version string) {
	t.Helper()
	python := filepath.Join(mlflowtest.Venv(t, version), "bin", "python")
	out, err := exec.Command(python, "-c", "from mlflow.store.db.utils import _get_latest_schema_revision as r; print(r())").Output()
	if err != nil {
		t.Fatal(err)
	}
	head := strings.TrimSpace(string(out))
	if got := pg.Query(t, "mlflow", "SELECT string_agg(version_num, ',') FROM alembic_version"); got != head {
		t.Errorf("MLflow %s: alembic_version %q, want the head revision %q", version, got, head)
	}
	if got := pg.Query(t, "mlflow", "SELECT count(*) FROM experiments WHERE name = 'Default'"); got != "1" {
		t.Errorf("MLflow %s: %s Default experiments, want 1", version, got)
	}
}
