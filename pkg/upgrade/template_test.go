package upgrade

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// serverTemplates renders the server stack for every supported MLflow
// version and database deletion policy.
func serverTemplates(t *testing.T) map[string]stacks.Template {
	t.Helper()
	out := map[string]stacks.Template{}
	for _, v := range config.SupportedMLflowVersions {
		for _, policy := range []string{"Snapshot", "Retain", "Delete"} {
			cfg := config.Defaults()
			cfg.Name, cfg.MLflowVersion, cfg.Database.DeletionPolicy = "team-a", v, policy
			d, err := stacks.Render(cfg)
			if err != nil {
				t.Fatalf("%s/%s: %v", v, policy, err)
			}
			for _, s := range d.Stacks {
				if s.ID != stacks.Server {
					continue
				}
				tpl, err := stacks.ParseTemplate(s.Template)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(s.Template), `DbRestored: !Not [!Equals [!Ref DbSnapshotIdentifier, ""]]`) {
					t.Fatalf("%s/%s: no DbRestored condition on DbSnapshotIdentifier", v, policy)
				}
				out[v+"/"+policy] = tpl
			}
		}
	}
	return out
}

func ifRestored(restored, otherwise any) map[string]any {
	return map[string]any{"Fn::If": []any{"DbRestored", restored, otherwise}}
}

var noValue = map[string]any{"Ref": "AWS::NoValue"}

// TestRestoreReplacesTheClusterUnderANewName: a new SnapshotIdentifier
// replaces the cluster (AWS::RDS::DBCluster SnapshotIdentifier, "Update
// requires: Replacement", CloudFormation template reference), and
// "CloudFormation cannot update a stack when a custom-named resource
// requires replacing" ("Name type": "You can't perform an update that
// causes a custom-named resource to be replaced. If you must replace the
// resource, specify a new name"; AWS re:Post knowledge center
// cloudformation-custom-name). So a restored cluster is
// "<name>-mlflow-r<time>", and its log group (Aurora writes to
// /aws/rds/cluster/<identifier>/postgresql) follows. Not restored, the name
// stays "<name>-mlflow": this template change replaces no existing cluster.
func TestRestoreReplacesTheClusterUnderANewName(t *testing.T) {
	for variant, tpl := range serverTemplates(t) {
		db := tpl.Resources["DbCluster"].Properties
		want := ifRestored(map[string]any{"Fn::Sub": "team-a-mlflow-r${DbClusterSuffix}"}, "team-a-mlflow")
		if !reflect.DeepEqual(db["DBClusterIdentifier"], want) {
			t.Errorf("%s: DBClusterIdentifier %v, want %v", variant, db["DBClusterIdentifier"], want)
		}
		if !reflect.DeepEqual(db["SnapshotIdentifier"], ifRestored(map[string]any{"Ref": "DbSnapshotIdentifier"}, noValue)) {
			t.Errorf("%s: SnapshotIdentifier %v", variant, db["SnapshotIdentifier"])
		}
		logs := tpl.Resources["DbLogGroup"].Properties["LogGroupName"]
		if !reflect.DeepEqual(logs, ifRestored(map[string]any{"Fn::Sub": "/aws/rds/cluster/team-a-mlflow-r${DbClusterSuffix}/postgresql"}, "/aws/rds/cluster/team-a-mlflow/postgresql")) {
			t.Errorf("%s: the DB log group %v does not follow the cluster's name", variant, logs)
		}
	}
}

// TestRestoreSetsNoMasterUsername: with SnapshotIdentifier, MasterUsername
// must not be set ("If you specify the SourceDBClusterIdentifier,
// SnapshotIdentifier, or GlobalClusterIdentifier property, don't specify
// this property", AWS::RDS::DBCluster MasterUsername, CloudFormation
// template reference); the database comes with the snapshot too.
// StorageEncrypted may stay true: "the value is inherited from the
// snapshot", and CloudFormation's handler does not pass it to
// RestoreDBClusterFromSnapshot (aws-cloudformation-resource-providers-rds,
// aws-rds-dbcluster Translator.restoreDbClusterFromSnapshotRequest).
// ManageMasterUserPassword stays: the handler restores, then calls
// ModifyDBCluster with the template's properties (CreateHandler:
// shouldUpdateAfterCreate is isRestoreFromSnapshot; pull request #393
// "Correctly apply SecretsManager related modifications for
// RestoreFromSnapshot scenario"), so the restored cluster gets a managed
// secret of its own and the task definition follows its ARN. Without it
// the restored cluster keeps the old password and no secret
// (aws/aws-cdk#21730, observed by a CDK maintainer).
func TestRestoreSetsNoMasterUsername(t *testing.T) {
	for variant, tpl := range serverTemplates(t) {
		db := tpl.Resources["DbCluster"].Properties
		for prop, otherwise := range map[string]any{"MasterUsername": "mlflow", "DatabaseName": "mlflow"} {
			if !reflect.DeepEqual(db[prop], ifRestored(noValue, otherwise)) {
				t.Errorf("%s: %s is %v, want unset when restored and %v otherwise", variant, prop, db[prop], otherwise)
			}
		}
		if db["ManageMasterUserPassword"] != true || db["StorageEncrypted"] != true {
			t.Errorf("%s: ManageMasterUserPassword %v, StorageEncrypted %v", variant, db["ManageMasterUserPassword"], db["StorageEncrypted"])
		}
	}
}

// TestRestoreParametersDefaultToANewDatabase: a first deployment passes
// neither parameter; the values a rollback passes fit their patterns.
func TestRestoreParametersDefaultToANewDatabase(t *testing.T) {
	snap := snapshotID("team-a", KindPreUpgrade, time.Now())
	for variant, tpl := range serverTemplates(t) {
		for name, value := range map[string]string{ParamDBSnapshot: snap, ParamDBClusterSuffix: "20261204120000"} {
			p := tpl.Parameters[name]
			if p == nil || p["Default"] != "" {
				t.Fatalf("%s: parameter %s %v, want Default \"\"", variant, name, p)
			}
			if re := regexp.MustCompile(p["AllowedPattern"].(string)); !re.MatchString(value) || !re.MatchString("") {
				t.Errorf("%s: %s's pattern %s refuses %q or \"\"", variant, name, re, value)
			}
		}
	}
}
