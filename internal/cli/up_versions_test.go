package cli

import (
	"os"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

// TestUpRefusesADowngradeAcrossTheSchemaWithTheRestoreCommand: a deployment
// at MLflow 3.18.0 configured back to 2.12.2 would start 2.12.2 on a
// database 3.18.0 migrated (MLflow has no downgrade migrations); up exits 2
// naming the restore command, and changes nothing.
func TestUpRefusesADowngradeAcrossTheSchemaWithTheRestoreCommand(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		fake, puts := cfnfake.New(), &putRecorder{}
		env := withFakeAWS(t, fake, puts)
		if _, errOut, err := runEnv(t, env, "", "up", "--yes", "--region", "us-east-1"); err != nil {
			t.Fatalf("up: %v\n%s", err, errOut)
		}
		if err := os.WriteFile(inDir(t, "mlflowctl.yaml"), []byte("mlflowVersion: 2.12.2\ngateway:\n  enabled: false\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := len(fake.Mutations())
		_, errOut, err := runEnv(t, env, "", "up", "--yes", "--region", "us-east-1")
		if err == nil || exitCode(err) != 2 {
			t.Fatalf("up to 2.12.2: exit %d, err %v\n%s", exitCode(err), err, errOut)
		}
		for _, want := range []string{"3.18.0 → 2.12.2", "restore-db-cluster-from-snapshot --snapshot-identifier"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		if m := fake.Mutations()[before:]; len(m) != 0 {
			t.Errorf("a refused downgrade changed %v", m)
		}
	})
}
