package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/upgrade"
	"github.com/mlflowctl/mlflowctl/pkg/versions"
)

// journal records what the recipe did, in order.
type journal struct {
	mu    sync.Mutex
	lines []string
}

func (j *journal) add(l string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lines = append(j.lines, l)
}

func (j *journal) index(l string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Index(j.lines, l)
}

type uploads struct {
	mu   sync.Mutex
	keys []string
	err  error
}

func (u *uploads) Upload(_ context.Context, bucket, key string, _ []byte) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.err != nil {
		return "", u.err
	}
	u.keys = append(u.keys, bucket+"/"+key)
	return "https://" + bucket + "/" + key, nil
}

// newUp is an Up over the in-memory CloudFormation whose steps and
// conversation record themselves in j; answer is the user's answer.
func newUp(f *cfnfake.Fake, j *journal, answer bool) (*Up, *uploads) {
	up := &uploads{}
	u := &Up{
		Config: config.Defaults(), Version: "1.2.3", Region: "us-east-1", Yes: true,
		CFN: cfnfake.Resolving{Fake: f}, Assets: up,
		Steps: UpSteps{
			Preflight: func(context.Context) (func(context.Context) error, error) {
				j.add("preflight")
				return func(context.Context) error { j.add("prepare"); return nil }, nil
			},
			BuildImages: func(_ context.Context, deps deploy.Outputs, progress func(string)) (map[string]string, error) {
				if deps[stacks.Bootstrap][stacks.OutServerRepositoryURI] == "" {
					return nil, errors.New("no repository yet")
				}
				progress("pushing")
				j.add("images")
				return map[string]string{stacks.ParamServerImage: "repo/server:abc"}, nil
			},
			APIGatewayLogging: func(context.Context, func(string)) error { j.add("apigw-logging"); return nil },
			PublishUI: func(_ context.Context, all deploy.Outputs, _ func(string)) error {
				if all[stacks.UI] == nil {
					return errors.New("published before the ui stack")
				}
				j.add("ui-publish")
				return nil
			},
			Verify: func(_ context.Context, all deploy.Outputs, _ func(string)) error {
				if all[StepUIPublish] == nil {
					return errors.New("verified before the UI was published")
				}
				j.add("verify")
				return nil
			},
		},
		UI: UpUI{
			ShowPlan: func(p []deploy.StackPlan) error { j.add("plan"); return nil },
			Confirm:  func(context.Context, string) (bool, error) { j.add("confirm"); return answer, nil },
			Ask:      func(context.Context, string) (bool, error) { return false, nil },
			Changing: func() { j.add("changing") },
			Interrupts: func(ctx context.Context) (context.Context, <-chan struct{}, func()) {
				return ctx, nil, func() {}
			},
			Watch: func(*deploy.Engine) func() error { return func() error { return nil } },
		},
	}
	return u, up
}

// TestUpRunsItsRecipeInOrder: preflight and plan before the question,
// nothing changed before the answer, roles prepared before the first
// stack, and in the graph: images before the server stack that imports
// them, the UI published after the ui stack, verify last.
func TestUpRunsItsRecipeInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, j := cfnfake.New(), &journal{}
		u, up := newUp(f, j, true)
		u.UI.Watch = func(eng *deploy.Engine) func() error {
			stop := eng.Subscribe(func(ev deploy.Event) {
				if ev.Kind == deploy.KindStack && ev.Phase == deploy.PhaseCreating {
					j.add("create " + ev.Stack)
				}
			})
			return func() error { stop(); return nil }
		}
		res, err := u.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		before := func(a, b string) {
			t.Helper()
			if ia, ib := j.index(a), j.index(b); ia < 0 || ib < 0 || ia > ib {
				t.Errorf("%q (at %d) is not before %q (at %d) in %v", a, ia, b, ib, j.lines)
			}
		}
		before("preflight", "plan")
		before("plan", "confirm")
		before("confirm", "changing")
		before("changing", "prepare")
		before("prepare", "create bootstrap")
		before("images", "create services")
		before("apigw-logging", "create api")
		before("create ui", "ui-publish")
		before("ui-publish", "verify")
		if res.Outputs[stacks.StepAuthorizer][stacks.ParamAuthorizerCodeKey] == "" || len(up.keys) == 0 {
			t.Errorf("the authorizer step put nothing: outputs %v, uploads %v", res.Outputs[stacks.StepAuthorizer], up.keys)
		}
		if got := f.Stack("mlflow-services").Params[stacks.ParamServerImage]; got != "repo/server:abc" {
			t.Errorf("server image parameter %q", got)
		}
		if len(res.Plan) != len(stacks.IDs) {
			t.Errorf("plan of %d stacks", len(res.Plan))
		}
	})
}

// TestUpDeclinedChangesNothing: a "no" at the question ends the recipe
// with nothing prepared and no stack touched.
func TestUpDeclinedChangesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, j := cfnfake.New(), &journal{}
		u, up := newUp(f, j, false)
		res, err := u.Run(t.Context())
		if err != nil || !res.Declined {
			t.Fatalf("res %+v, err %v", res, err)
		}
		for _, m := range f.Mutations() {
			if !strings.HasPrefix(m, "CreateChangeSet") && !strings.HasPrefix(m, "DeleteChangeSet") {
				t.Errorf("a declined up did %s", m)
			}
		}
		if j.index("changing") >= 0 || j.index("prepare") >= 0 || j.index("images") >= 0 || len(up.keys) != 0 {
			t.Errorf("a declined up went on: %v, uploads %v", j.lines, up.keys)
		}
	})
}

// TestUpRefusesAnUnwiredStep: a step nobody wired in is an error naming
// it, before any call; it is never skipped.
func TestUpRefusesAnUnwiredStep(t *testing.T) {
	f, j := cfnfake.New(), &journal{}
	u, _ := newUp(f, j, true)
	u.Steps.BuildImages = nil
	_, err := u.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "Steps.BuildImages") || len(f.Calls()) != 0 || len(j.lines) != 0 {
		t.Fatalf("err %v, calls %v, journal %v", err, f.Calls(), j.lines)
	}
	u, _ = newUp(f, j, true)
	u.Steps.Verify, u.SkipVerify = nil, true
	if err := u.check(); err != nil {
		t.Errorf("--skip-verify needs no verify function: %v", err)
	}
}

// TestVerifyFailureComesBackWithTheOutputs: the deployment is in place
// when verify fails, so Run returns the outputs (the CLI prints the
// endpoints) and the verification's own error, unwrapped.
func TestVerifyFailureComesBackWithTheOutputs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, j := cfnfake.New(), &journal{}
		u, _ := newUp(f, j, true)
		broken := errors.New("verify failed: api → server: 502")
		u.Steps.Verify = func(context.Context, deploy.Outputs, func(string)) error { return broken }
		res, err := u.Run(t.Context())
		if !errors.Is(err, broken) || err.Error() != broken.Error() {
			t.Fatalf("err %v, want the verification's own", err)
		}
		if res.Outputs[stacks.API][stacks.OutRestAPIURL] == "" {
			t.Errorf("no outputs with the failure: %v", res.Outputs)
		}
	})
}

// TestAuthorizerStepUploadsThenPassesTheKey: the api stack imports the
// key the step uploaded to the bootstrap stack's assets bucket; without
// that output, or when the upload fails, the step fails naming why.
func TestAuthorizerStepUploadsThenPassesTheKey(t *testing.T) {
	up := &uploads{}
	u := &Up{Config: config.Defaults(), Assets: up}
	out, err := u.uploadAuthorizer(context.Background(), deploy.Outputs{stacks.Bootstrap: {stacks.OutAssetsBucket: "assets"}})
	key := out[stacks.ParamAuthorizerCodeKey]
	if err != nil || !strings.HasPrefix(key, "authorizer/") || !slices.Equal(up.keys, []string{"assets/" + key}) {
		t.Fatalf("out %v, err %v, uploads %v", out, err, up.keys)
	}
	if _, err := u.uploadAuthorizer(context.Background(), deploy.Outputs{}); err == nil || !strings.Contains(err.Error(), stacks.OutAssetsBucket) {
		t.Errorf("no assets bucket: %v", err)
	}
	up.err = errors.New("AccessDenied")
	if _, err := u.uploadAuthorizer(context.Background(), deploy.Outputs{stacks.Bootstrap: {stacks.OutAssetsBucket: "assets"}}); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("upload error lost: %v", err)
	}
}

// TestUpIsOnePass: the services stack waits for the api stack's UI
// origin, so a first up deploys every stack once and verifies once; the
// images step runs while the server stack (Aurora, network, NLB) is
// created: it waits only for the bootstrap stack's repositories.
func TestUpIsOnePass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, j := cfnfake.New(), &journal{}
		u, _ := newUp(f, j, true)
		verified := 0
		u.Steps.Verify = func(context.Context, deploy.Outputs, func(string)) error { verified++; return nil }
		u.UI.Watch = func(eng *deploy.Engine) func() error {
			stop := eng.Subscribe(func(ev deploy.Event) {
				if ev.Kind == deploy.KindStack && (ev.Phase == deploy.PhaseCreating || ev.Phase == deploy.PhaseComplete) {
					j.add(string(ev.Phase) + " " + ev.Stack)
				}
			})
			return func() error { stop(); return nil }
		}
		res, err := u.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if verified != 1 {
			t.Errorf("verified %d times, want once", verified)
		}
		for _, id := range stacks.IDs {
			if n := strings.Count(strings.Join(j.lines, "\n"), "creating "+id+"\n"); n > 1 {
				t.Errorf("stack %s created %d times", id, n)
			}
		}
		if ui := res.Outputs[stacks.API][stacks.OutUIURL]; ui == "" || !strings.HasPrefix(ui, f.Stack("mlflow-services").Params[stacks.ParamUIOrigin]) {
			t.Errorf("services UiOrigin %q, api UiUrl %q", f.Stack("mlflow-services").Params[stacks.ParamUIOrigin], ui)
		}
		if j.index("images") > j.index("complete server") {
			t.Errorf("the images step waited for the server stack: %v", j.lines)
		}
	})
}

// TestUpPassesARolledBackDatabasesRestoreParametersAgain: after
// `mlflowctl rollback` the server stack's cluster is restored from a
// snapshot. The AWS::RDS::DBCluster reference (SnapshotIdentifier): "After
// you restore a DB cluster with a SnapshotIdentifier property, you must
// specify the same SnapshotIdentifier property for any future updates to
// the DB cluster ... if you don't specify the SnapshotIdentifier property,
// an empty DB cluster is created, and the original DB cluster is deleted."
// So a later up passes the stack's restore parameters again, and Params
// (rollback's own values) win over them.
func TestUpPassesARolledBackDatabasesRestoreParametersAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, j := cfnfake.New(), &journal{}
		restored := map[string]string{upgrade.ParamDBSnapshot: "mlflowctl-mlflow-pre-upgrade-20261201-101500", upgrade.ParamDBClusterSuffix: "20261202093000"}
		f.Seed("mlflow-server", "Resources: {}\n", restored, map[string]string{"mlflowctl:deployment": "mlflow"}, "UPDATE_COMPLETE")
		u, _ := newUp(f, j, true)
		if _, err := u.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		got := f.Stack("mlflow-server").Params
		for k, v := range restored {
			if got[k] != v {
				t.Errorf("after up, server parameter %s = %q, want %q (the restored cluster kept)", k, got[k], v)
			}
		}

		f2 := cfnfake.New()
		f2.Seed("mlflow-server", "Resources: {}\n", restored, map[string]string{"mlflowctl:deployment": "mlflow"}, "UPDATE_COMPLETE")
		u2, _ := newUp(f2, &journal{}, true)
		u2.Params = map[string]map[string]string{stacks.Server: {upgrade.ParamDBSnapshot: "newer", upgrade.ParamDBClusterSuffix: "20261203000000"}}
		if _, err := u2.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := f2.Stack("mlflow-server").Params[upgrade.ParamDBSnapshot]; got != "newer" {
			t.Errorf("Params lost to the stack's old value: %q", got)
		}
	})
}

// migratingUp is an Up of MLflow 3.18.0 over a deployment whose server
// stack says 2.12.2 (another database schema), recording the stacks'
// executions and the migration in j.
func migratingUp(t *testing.T, migrateErr error) (*Up, *cfnfake.Fake, *journal, *[]string) {
	f, j := cfnfake.New(), &journal{}
	f.Seed("mlflow-server", "Resources: {}\nOutputs:\n  MLflowVersion:\n    Value: \"2.12.2\"\n", nil,
		map[string]string{"mlflowctl:deployment": "mlflow"}, "UPDATE_COMPLETE")
	u, _ := newUp(f, j, true)
	var shown []string
	u.UI.ShowMove = func(lines []string) error { shown = lines; return nil }
	u.Steps.Migrate = func(_ context.Context, move versions.Move, server map[string]string, image string, _ func(string)) (func(context.Context) error, error) {
		j.add("migrate " + move.From.MLflow + "→" + move.To.MLflow + " with " + image)
		if migrateErr != nil {
			return nil, migrateErr
		}
		return func(context.Context) error { j.add("scale-back"); return nil }, nil
	}
	u.UI.Watch = func(eng *deploy.Engine) func() error {
		stop := eng.Subscribe(func(ev deploy.Event) {
			if ev.Kind == deploy.KindStack && (ev.Phase == deploy.PhaseCreating || ev.Phase == deploy.PhaseUpdating) {
				j.add("execute " + ev.Stack)
			}
		})
		return func() error { stop(); return nil }
	}
	return u, f, j, &shown
}

// TestUpMigratesTheSchemaOnceBetweenTheServerAndServicesStacks (issue
// 23): a change of MLflow version across a schema change shows what it
// implies, then migrates once, after the server stack and the new image
// and before the services stack rolls the image out; the tasks come back
// (scale-back) before verify.
func TestUpMigratesTheSchemaOnceBetweenTheServerAndServicesStacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		u, _, j, shown := migratingUp(t, nil)
		if _, err := u.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		migrate := "migrate 2.12.2→3.18.0 with repo/server:abc"
		for _, pair := range [][2]string{{"execute server", migrate}, {"images", migrate}, {migrate, "execute services"},
			{"execute services", "scale-back"}, {"scale-back", "verify"}, {"confirm", migrate}} {
			if ia, ib := j.index(pair[0]), j.index(pair[1]); ia < 0 || ib < 0 || ia > ib {
				t.Errorf("%q (at %d) is not before %q (at %d) in %v", pair[0], ia, pair[1], ib, j.lines)
			}
		}
		if len(*shown) == 0 || !strings.Contains((*shown)[0], "2.12.2 → 3.18.0: database schema migration") {
			t.Errorf("plan lines %q", *shown)
		}
	})
}

// TestFailedMigrationLeavesTheServicesStackAlone: the old version serves
// again (pkg/upgrade puts its tasks back); the services stack is not
// rolled out and nothing scales the new version up.
func TestFailedMigrationLeavesTheServicesStackAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		u, f, j, _ := migratingUp(t, errors.New("the MLflow 2.12.2 → 3.18.0 database migration failed"))
		_, err := u.Run(t.Context())
		if err == nil || !strings.Contains(err.Error(), "migration failed") {
			t.Fatalf("err %v", err)
		}
		if j.index("execute services") >= 0 || j.index("scale-back") >= 0 || f.Status("mlflow-services") != "" {
			t.Errorf("went on after a failed migration: %v (services %q)", j.lines, f.Status("mlflow-services"))
		}
	})
}
