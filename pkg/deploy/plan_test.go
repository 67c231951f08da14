package deploy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

func TestPlanShowsChangesWithoutExecuting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e, _ := newEngine(f, Options{})
		fresh, err := e.Plan(t.Context(), graph())
		if err != nil {
			t.Fatal(err)
		}
		if fresh[0].Action != ActionCreate || len(fresh[0].Changes) != 2 || fresh[0].Changes[0].Label != "Assets bucket" || fresh[0].Changes[0].Action != "Add" {
			t.Errorf("plan of a new deployment = %+v", fresh[0])
		}
		if f.Count("CreateChangeSet") != 0 {
			t.Error("planning absent stacks made change sets")
		}
		deployed(t, f)
		d := changedServer()
		d.Stacks[2].Template = []byte(strings.Replace(tplAPI, "Outputs:", "  Stage:\n    Type: AWS::ApiGateway::Stage\nOutputs:", 1))
		plans, err := e.Plan(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, p := range plans {
			got = append(got, string(p.Action))
		}
		if !slices.Equal(got, []string{"none", "update", "update"}) {
			t.Errorf("actions = %v", got)
		}
		if c := plans[1].Changes; len(c) != 1 || c[0].LogicalID != "Service" || c[0].Action != "Modify" || c[0].Replacement != "False" {
			t.Errorf("server changes = %+v", c)
		}
		if c := plans[2].Changes; len(c) != 1 || c[0].LogicalID != "Stage" || c[0].Action != "Add" {
			t.Errorf("api changes = %+v", c)
		}
		if n := f.Count("ExecuteChangeSet"); n != 0 {
			t.Errorf("%d executes during plan", n)
		}
		if n := f.Count("DeleteChangeSet"); n != 2 {
			t.Errorf("%d change sets deleted, want 2", n)
		}
		if f.Status("ml-server") != types.StackStatusCreateComplete {
			t.Errorf("plan changed the stack: %s", f.Status("ml-server"))
		}
	})
}

func TestPlanOfFailedCreateIsRecreate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Seed("ml-bootstrap", tplBootstrap, nil, map[string]string{TagDeployment: "ml"}, types.StackStatusRollbackComplete)
		e, _ := newEngine(f, Options{})
		plans, err := e.Plan(t.Context(), Deployment{Name: "ml", Stacks: graph().Stacks[:1]})
		if err != nil {
			t.Fatal(err)
		}
		if plans[0].Action != ActionRecreate || plans[0].Status != "ROLLBACK_COMPLETE" {
			t.Errorf("plan = %+v", plans[0])
		}
	})
}

type memUploader struct{ objects map[string][]byte }

func (m *memUploader) Upload(_ context.Context, bucket, key string, body []byte) (string, error) {
	m.objects[bucket+"/"+key] = body
	return "https://" + bucket + ".s3.us-east-1.amazonaws.com/" + key, nil
}

func TestLargeTemplateGoesThroughAssetsBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		up := &memUploader{objects: map[string][]byte{}}
		d := graph()
		big := tplAPI + "# " + strings.Repeat("x", InlineTemplateLimit) + "\n"
		d.Stacks[2].Template = []byte(big)
		e, _ := newEngine(f, Options{Uploader: up, AssetsFrom: OutputRef{Stack: "bootstrap", Output: "AssetsBucketName"}})
		if _, err := e.Deploy(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if len(up.objects) != 1 {
			t.Fatalf("uploads = %d", len(up.objects))
		}
		for k, v := range up.objects {
			if !strings.HasPrefix(k, "ml-assets/templates/ml-api/") || string(v) != big {
				t.Errorf("uploaded %s (%d bytes)", k, len(v))
			}
		}
		if f.Count("CreateChangeSet ml-api") != 1 {
			t.Error("api was not deployed")
		}

		g := cfnfake.New()
		e2, _ := newEngine(g, Options{}) // no uploader: a clear error
		_, err := e2.Deploy(t.Context(), d)
		var tooBig *TemplateTooLargeError
		if !errors.As(err, &tooBig) || tooBig.Name != "ml-api" {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestInvalidGraphsAreRejected(t *testing.T) {
	cases := map[string]func(*Deployment){
		"cycle":       func(d *Deployment) { d.Stacks[0].DependsOn = []string{"api"} },
		"unknown dep": func(d *Deployment) { d.Stacks[1].DependsOn = []string{"nope"} },
		"duplicate":   func(d *Deployment) { d.Stacks[2].ID = "server" },
		"import no dep": func(d *Deployment) {
			d.Stacks[2].Imports = append(d.Stacks[2].Imports, Import{Param: "X", FromStack: "server", Output: "UsesBucket"})
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			f := cfnfake.New()
			d := graph()
			mutate(&d)
			_, err := New(f, Options{}).Deploy(t.Context(), d)
			var bad *InvalidDeploymentError
			if !errors.As(err, &bad) || bad.ExitCode() != 2 {
				t.Fatalf("err = %v", err)
			}
			if len(f.Calls()) != 0 {
				t.Errorf("calls = %v", f.Calls())
			}
		})
	}
}

func TestDeployRefusesForeignStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Seed("ml-bootstrap", tplBootstrap, nil, nil, types.StackStatusCreateComplete)
		_, err := New(f, Options{}).Deploy(t.Context(), graph())
		var no *NotOwnedError
		if !errors.As(err, &no) || no.ExitCode() != 2 {
			t.Fatalf("err = %v", err)
		}
		if got := f.Mutations(); len(got) != 0 {
			t.Errorf("calls = %v", got)
		}
	})
}

func TestStatusAndOutputs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e, _ := newEngine(f, Options{})
		d := graph()
		if _, err := e.Deploy(t.Context(), Deployment{Name: "ml", Stacks: d.Stacks[:2]}); err != nil {
			t.Fatal(err)
		}
		f.Seed("other-bootstrap", tplBootstrap, map[string]string{"Name": "x"}, map[string]string{TagDeployment: "other", TagStack: "bootstrap"}, types.StackStatusCreateComplete)
		st, err := e.Status(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		if !st[0].Exists || st[0].Status != "CREATE_COMPLETE" || st[0].Version != "1.0.0" || !st[0].Protected || st[2].Exists {
			t.Errorf("status = %+v", st)
		}
		outs, err := e.Outputs(t.Context(), "ml")
		if err != nil {
			t.Fatal(err)
		}
		if len(outs) != 2 || outs["bootstrap"]["AssetsBucketName"] != "ml-assets" || outs["server"]["UsesBucket"] != "ml-assets" {
			t.Errorf("outputs = %v", outs)
		}
	})
}

func TestDirectCallsCreateUpdateAndNoChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e, _ := newEngine(f, Options{DirectCalls: true})
		if _, err := e.Deploy(t.Context(), graph()); err != nil {
			t.Fatal(err)
		}
		if f.Count("CreateStack") != 3 || f.Count("CreateChangeSet") != 0 || !f.Stack("ml-bootstrap").Protected {
			t.Errorf("calls = %v", f.Mutations())
		}
		f.ResetCalls()
		if _, err := e.Deploy(t.Context(), changedServer()); err != nil {
			t.Fatal(err)
		}
		if got := f.Mutations(); !slices.Equal(got, []string{"UpdateStack ml-server"}) {
			t.Errorf("calls = %v", got)
		}
		f.ResetCalls()
		forced, _ := newEngine(f, Options{DirectCalls: true, Force: true})
		if _, err := forced.Deploy(t.Context(), changedServer()); err != nil {
			t.Fatal(err)
		}
		if f.Count("UpdateStack") != 3 || f.Status("ml-server") != types.StackStatusUpdateComplete {
			t.Errorf("calls = %v", f.Mutations())
		}
	})
}

func TestRootCauseSkipsCancellations(t *testing.T) {
	ev := func(id, status, reason string) types.StackEvent {
		return types.StackEvent{LogicalResourceId: &id, ResourceStatus: types.ResourceStatus(status), ResourceStatusReason: &reason}
	}
	events := []types.StackEvent{
		ev("s", "CREATE_IN_PROGRESS", "User Initiated"),
		ev("Queue", "CREATE_FAILED", "Resource creation cancelled"),
		ev("Db", "CREATE_FAILED", "quota exceeded"),
		ev("s", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Db, Queue]."),
	}
	if rc := rootCause(events, "s"); rc == nil || *rc.LogicalResourceId != "Db" {
		t.Errorf("root cause = %v", rc)
	}
	if rc := rootCause(events[:2], "s"); rc == nil || *rc.LogicalResourceId != "Queue" {
		t.Errorf("with only cancellations, the first failure is the cause: %v", rc)
	}
	if got := shortReason("Bucket exists (Service: S3, Status Code: 409, Request ID: X)"); got != "Bucket exists" {
		t.Errorf("shortReason = %q", got)
	}
}

func TestResourcesReadsLabelsFromYAMLAndJSON(t *testing.T) {
	for _, tpl := range []string{tplBootstrap, `{"Resources": {"Assets": {"Type": "AWS::S3::Bucket", "Metadata": {"mlflowctl": {"description": "Assets bucket"}}}, "Repo": {"Type": "AWS::ECR::Repository"}}}`} {
		rs, err := Resources([]byte(tpl))
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 2 || rs[0] != (Resource{"Assets", "AWS::S3::Bucket", "Assets bucket"}) || rs[1].Label == "" {
			t.Errorf("resources = %+v", rs)
		}
	}
}

func TestConfigHashChangesWithEveryInput(t *testing.T) {
	base := configHash([]byte("t"), map[string]string{"a": "1"}, map[string]string{"k": "v"}, []string{"CAPABILITY_IAM"}, false)
	variants := []string{
		configHash([]byte("t2"), map[string]string{"a": "1"}, map[string]string{"k": "v"}, []string{"CAPABILITY_IAM"}, false),
		configHash([]byte("t"), map[string]string{"a": "2"}, map[string]string{"k": "v"}, []string{"CAPABILITY_IAM"}, false),
		configHash([]byte("t"), map[string]string{"a": "1"}, map[string]string{"k": "w"}, []string{"CAPABILITY_IAM"}, false),
		configHash([]byte("t"), map[string]string{"a": "1"}, map[string]string{"k": "v"}, nil, false),
		configHash([]byte("t"), map[string]string{"a": "1"}, map[string]string{"k": "v"}, []string{"CAPABILITY_IAM"}, true),
	}
	for i, v := range variants {
		if v == base {
			t.Errorf("variant %d hashes like the base", i)
		}
	}
}

func TestLeftoverReviewStackIsCreated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Seed("ml-bootstrap", "", nil, nil, types.StackStatusReviewInProgress)
		e, _ := newEngine(f, Options{})
		if _, err := e.Deploy(t.Context(), Deployment{Name: "ml", Stacks: graph().Stacks[:1]}); err != nil {
			t.Fatal(err)
		}
		if got := f.Mutations(); !slices.Equal(got, []string{"CreateChangeSet ml-bootstrap", "ExecuteChangeSet ml-bootstrap", "UpdateTerminationProtection ml-bootstrap"}) {
			t.Errorf("calls = %v", got)
		}
		if f.Status("ml-bootstrap") != types.StackStatusCreateComplete {
			t.Errorf("status %s", f.Status("ml-bootstrap"))
		}
	})
}

func TestPlanOfRollbackFailedStackMakesNoChangeSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Seed("ml-bootstrap", tplBootstrap, nil, map[string]string{TagDeployment: "ml"}, types.StackStatusUpdateRollbackFailed)
		plans, err := New(f, Options{}).Plan(t.Context(), Deployment{Name: "ml", Stacks: graph().Stacks[:1]})
		if err != nil {
			t.Fatal(err)
		}
		if plans[0].Action != ActionUpdate || !strings.Contains(plans[0].Note, "continues the rollback") || f.Count("CreateChangeSet") != 0 {
			t.Errorf("plan = %+v, calls %v", plans[0], f.Calls())
		}
	})
}

func TestPollIntervalGrowsAndBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(cfnfake.New(), Options{}).newPoller()
		var got []time.Duration
		for range 6 {
			start := time.Now()
			if err := p.sleep(t.Context()); err != nil {
				t.Fatal(err)
			}
			got = append(got, time.Since(start))
		}
		want := []time.Duration{time.Second, 1500 * time.Millisecond, 2250 * time.Millisecond, 3375 * time.Millisecond, 5 * time.Second, 5 * time.Second}
		if !slices.Equal(got, want) {
			t.Errorf("intervals = %v, want %v", got, want)
		}
		for range 4 {
			p.throttled()
		}
		if p.interval != 32*time.Second {
			t.Errorf("after throttling the interval is %s, want the 32s cap", p.interval)
		}
	})
}

func TestProtectionIsTurnedOnForExistingDataStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		d := graph()
		d.Stacks[0].HoldsData = false
		e, _ := newEngine(f, Options{})
		if _, err := e.Deploy(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if f.Stack("ml-bootstrap").Protected {
			t.Fatal("protected without HoldsData")
		}
		if _, err := e.Deploy(t.Context(), graph()); err != nil {
			t.Fatal(err)
		}
		if !f.Stack("ml-bootstrap").Protected {
			t.Error("HoldsData did not turn protection on for an existing stack")
		}
	})
}

func TestInterruptTooLateToCancelReportsTheFinishedUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		deployed(t, f)
		ctx, cancel := context.WithCancel(t.Context())
		e, _ := newEngine(f, Options{})
		// The update's last event is due before 7 s; the engine sees the
		// cancel at its next poll, when CancelUpdateStack is refused.
		time.AfterFunc(7*time.Second, cancel)
		_, err := e.Deploy(ctx, changedServer())
		var intr *InterruptedError
		if !errors.As(err, &intr) || len(intr.Done) != 1 || !strings.Contains(intr.Done[0], "finished before the interrupt") {
			t.Fatalf("err = %v", err)
		}
		if got := f.Mutations(); !slices.Equal(got, []string{"CreateChangeSet ml-server", "ExecuteChangeSet ml-server", "CancelUpdateStack ml-server"}) {
			t.Errorf("calls = %v", got)
		}
		if f.Status("ml-server") != types.StackStatusUpdateComplete {
			t.Errorf("server %s", f.Status("ml-server"))
		}
	})
}
