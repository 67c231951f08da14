package deploy

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

const tplBootstrap = `Parameters:
  Name: {Type: String}
Resources:
  Assets:
    Type: AWS::S3::Bucket
    Metadata: {mlflowctl: {description: Assets bucket}}
  Repo:
    Type: AWS::ECR::Repository
    Metadata: {mlflowctl: {description: Server image repository}}
Outputs:
  AssetsBucketName: {Value: !Ref Name}
`

const tplServer = `Parameters:
  Bucket: {Type: String}
Resources:
  Db:
    Type: AWS::RDS::DBCluster
    Metadata: {mlflowctl: {description: Aurora database}}
  Service:
    Type: AWS::ECS::Service
Outputs:
  UsesBucket: {Value: !Ref Bucket}
`

const tplAPI = `Parameters:
  Bucket: {Type: String}
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Metadata: {mlflowctl: {description: REST API}}
Outputs:
  RestApiId: {Value: api123}
`

// graph is A → {B, C}: server and api both import the bootstrap bucket.
func graph() Deployment {
	return Deployment{Name: "ml", Stacks: []Stack{
		{ID: "bootstrap", Template: []byte(tplBootstrap), Params: map[string]string{"Name": "ml-assets"}, HoldsData: true},
		{ID: "server", Template: []byte(tplServer), DependsOn: []string{"bootstrap"}, Capabilities: []string{"CAPABILITY_NAMED_IAM"},
			Imports: []Import{{Param: "Bucket", FromStack: "bootstrap", Output: "AssetsBucketName"}}},
		{ID: "api", Template: []byte(tplAPI), DependsOn: []string{"bootstrap"},
			Imports: []Import{{Param: "Bucket", FromStack: "bootstrap", Output: "AssetsBucketName"}}},
	}}
}

// recorder keeps every event a subscriber sees.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) phases(stack string) []Phase {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Phase
	for _, e := range r.events {
		if e.Kind == KindStack && e.Stack == stack {
			out = append(out, e.Phase)
		}
	}
	return out
}

func (r *recorder) stepPhases(step string) []Phase {
	var out []Phase
	for _, e := range r.all() {
		if e.Kind == KindStep && e.Stack == step {
			out = append(out, e.Phase)
		}
	}
	return out
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) first(k Kind) Event {
	for _, e := range r.all() {
		if e.Kind == k {
			return e
		}
	}
	return Event{}
}

func newEngine(f *cfnfake.Fake, o Options) (*Engine, *recorder) {
	o.Version = "1.0.0"
	e := New(f, o)
	r := &recorder{}
	e.Subscribe(r.add)
	return e, r
}

func TestCreatePassesOutputsToDependents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e, rec := newEngine(f, Options{})
		outs, err := e.Deploy(t.Context(), graph())
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"ml-bootstrap", "ml-server", "ml-api"} {
			if got := f.Status(n); got != types.StackStatusCreateComplete {
				t.Errorf("%s: %s, want CREATE_COMPLETE", n, got)
			}
		}
		if got := f.Stack("ml-server").Params["Bucket"]; got != "ml-assets" {
			t.Errorf("server's Bucket parameter = %q, want bootstrap's output ml-assets", got)
		}
		if outs["server"]["UsesBucket"] != "ml-assets" || outs["api"]["RestApiId"] != "api123" {
			t.Errorf("outputs = %v", outs)
		}
		tags := f.Stack("ml-api").Tags
		if tags[TagDeployment] != "ml" || tags[TagStack] != "api" || tags[TagVersion] != "1.0.0" || len(tags[TagHash]) != 64 {
			t.Errorf("tags = %v", tags)
		}
		if !f.Stack("ml-bootstrap").Protected || f.Stack("ml-server").Protected {
			t.Error("termination protection must be on for the data stack only")
		}
		muts := f.Mutations()
		if muts[0] != "CreateChangeSet ml-bootstrap" || muts[1] != "ExecuteChangeSet ml-bootstrap" || muts[2] != "UpdateTerminationProtection ml-bootstrap" {
			t.Errorf("bootstrap must be created first, then protected: %v", muts)
		}
		if n := f.Count("ExecuteChangeSet"); n != 3 {
			t.Errorf("%d executes, want 3", n)
		}
		if !slices.Contains(rec.phases("server"), PhaseCreating) || rec.phases("server")[len(rec.phases("server"))-1] != PhaseComplete {
			t.Errorf("server phases = %v", rec.phases("server"))
		}
	})
}

func TestEventsAreLabelledAndPublishedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e, rec := newEngine(f, Options{})
		if _, err := e.Deploy(t.Context(), graph()); err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		labels := map[string]string{}
		for _, ev := range rec.events {
			if ev.Kind == KindResource && ev.Stack == "bootstrap" {
				seen[ev.LogicalID+" "+ev.Status]++
				labels[ev.LogicalID] = ev.Label
			}
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("event %q published %d times", k, n)
			}
		}
		if seen["Assets CREATE_COMPLETE"] != 1 || seen["ml-bootstrap CREATE_COMPLETE"] != 1 {
			t.Errorf("missing events: %v", seen)
		}
		if seen["ml-bootstrap REVIEW_IN_PROGRESS"] != 0 {
			t.Error("events from before the operation started were published")
		}
		if labels["Assets"] != "Assets bucket" || labels["ml-bootstrap"] != "ml-bootstrap" {
			t.Errorf("labels = %v", labels)
		}
		if rec.events[0].Kind != KindStart || !slices.Equal(rec.events[0].Stacks, []string{"bootstrap", "server", "api"}) {
			t.Errorf("first event = %+v", rec.events[0])
		}
		if last := rec.events[len(rec.events)-1]; last.Kind != KindFinish || last.Error != "" {
			t.Errorf("last event = %+v", last)
		}
	})
}

func TestNoOpMakesOneDescribeStacksPerStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e, _ := newEngine(f, Options{})
		first, err := e.Deploy(t.Context(), graph())
		if err != nil {
			t.Fatal(err)
		}
		f.ResetCalls()
		again, err := e.Deploy(t.Context(), graph())
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"DescribeStacks ml-bootstrap", "DescribeStacks ml-server", "DescribeStacks ml-api"}
		got := f.Calls()
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("calls = %v, want exactly %v", f.Calls(), want)
		}
		if !maps.EqualFunc(first, again, maps.Equal) {
			t.Errorf("outputs differ: %v vs %v", first, again)
		}
	})
}

func TestForcedRunWithNoChangesDeletesEmptyChangeSets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e, _ := newEngine(f, Options{})
		if _, err := e.Deploy(t.Context(), graph()); err != nil {
			t.Fatal(err)
		}
		f.ResetCalls()
		forced, rec := newEngine(f, Options{Force: true})
		if _, err := forced.Deploy(t.Context(), graph()); err != nil {
			t.Fatal(err)
		}
		if n := f.Count("CreateChangeSet"); n != 3 {
			t.Errorf("%d change sets, want 3 with --force", n)
		}
		if n := f.Count("DeleteChangeSet"); n != 3 {
			t.Errorf("%d empty change sets deleted, want 3", n)
		}
		if n := f.Count("ExecuteChangeSet"); n != 0 {
			t.Errorf("%d executes, want none", n)
		}
		if f.ChangeSets() != 3 { // the three create change sets stay, as in AWS
			t.Errorf("%d change sets left", f.ChangeSets())
		}
		if p := rec.phases("api"); p[len(p)-1] != PhaseNoChanges {
			t.Errorf("api phases = %v", p)
		}
	})
}

func TestCreateFailureReportsRootCauseAndRerunRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Script("ml-server", cfnfake.Outcome{FailID: "Db", Reason: "DBCluster quota exceeded"})
		e, rec := newEngine(f, Options{})
		_, err := e.Deploy(t.Context(), graph())
		var failed *StackFailedError
		if !errors.As(err, &failed) {
			t.Fatalf("err = %v, want StackFailedError", err)
		}
		if failed.Name != "ml-server" || failed.LogicalID != "Db" || failed.Type != "AWS::RDS::DBCluster" ||
			failed.Reason != "DBCluster quota exceeded" || failed.Status != "ROLLBACK_COMPLETE" || !strings.Contains(failed.Next, "created anew") {
			t.Errorf("failure = %+v", failed)
		}
		if f.Status("ml-server") != types.StackStatusRollbackComplete || f.Status("ml-api") != types.StackStatusCreateComplete {
			t.Errorf("server %s, api %s", f.Status("ml-server"), f.Status("ml-api"))
		}
		if p := rec.phases("server"); p[len(p)-1] != PhaseFailed {
			t.Errorf("server phases = %v", p)
		}

		f.ResetCalls()
		if _, err := e.Deploy(t.Context(), graph()); err != nil {
			t.Fatal(err)
		}
		want := []string{"DeleteStack ml-server", "CreateChangeSet ml-server", "ExecuteChangeSet ml-server"}
		if got := f.Mutations(); !slices.Equal(got, want) {
			t.Errorf("re-run calls = %v, want %v", got, want)
		}
		if f.Status("ml-server") != types.StackStatusCreateComplete {
			t.Errorf("server %s", f.Status("ml-server"))
		}
	})
}

func TestDependentOfFailedStackIsNotStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Script("ml-bootstrap", cfnfake.Outcome{FailID: "Assets", Reason: "bucket name taken"})
		e, rec := newEngine(f, Options{})
		_, err := e.Deploy(t.Context(), graph())
		var failed *StackFailedError
		if !errors.As(err, &failed) || failed.LogicalID != "Assets" {
			t.Fatalf("err = %v", err)
		}
		if f.Count("DescribeStacks ml-server")+f.Count("CreateChangeSet ml-api") != 0 {
			t.Errorf("dependents were touched: %v", f.Calls())
		}
		if p := rec.phases("api"); p[len(p)-1] != PhaseSkipped {
			t.Errorf("api phases = %v", p)
		}
	})
}

func deployed(t *testing.T, f *cfnfake.Fake) {
	t.Helper()
	e, _ := newEngine(f, Options{})
	if _, err := e.Deploy(t.Context(), graph()); err != nil {
		t.Fatal(err)
	}
	f.ResetCalls()
}

func changedServer() Deployment {
	d := graph()
	d.Stacks[1].Template = []byte(strings.Replace(tplServer, "Type: AWS::ECS::Service", "Type: AWS::ECS::Service\n    Properties: {DesiredCount: 2}", 1))
	return d
}

func TestUpdateFailureRollsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		deployed(t, f)
		f.Script("ml-server", cfnfake.Outcome{FailID: "Service", Reason: "ECS service did not stabilize"})
		e, _ := newEngine(f, Options{})
		_, err := e.Deploy(t.Context(), changedServer())
		var failed *StackFailedError
		if !errors.As(err, &failed) || failed.LogicalID != "Service" || failed.Status != "UPDATE_ROLLBACK_COMPLETE" || !strings.Contains(failed.Next, "rolled back") {
			t.Fatalf("err = %v", err)
		}
		if got := f.Mutations(); !slices.Equal(got, []string{"CreateChangeSet ml-server", "ExecuteChangeSet ml-server"}) {
			t.Errorf("calls = %v", got)
		}
		if f.Status("ml-server") != types.StackStatusUpdateRollbackComplete {
			t.Errorf("server %s", f.Status("ml-server"))
		}
	})
}

func TestUpdateRollbackFailedIsContinuedThenRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		deployed(t, f)
		f.Script("ml-server", cfnfake.Outcome{FailID: "Service", Reason: "stuck", Final: types.StackStatusUpdateRollbackFailed})
		e, _ := newEngine(f, Options{})
		_, err := e.Deploy(t.Context(), changedServer())
		var failed *StackFailedError
		if !errors.As(err, &failed) || failed.Status != "UPDATE_ROLLBACK_FAILED" || !strings.Contains(failed.Next, "continues the rollback") {
			t.Fatalf("err = %v", err)
		}
		f.ResetCalls()
		if _, err := e.Deploy(t.Context(), changedServer()); err != nil {
			t.Fatal(err)
		}
		want := []string{"ContinueUpdateRollback ml-server", "CreateChangeSet ml-server", "ExecuteChangeSet ml-server"}
		if got := f.Mutations(); !slices.Equal(got, want) {
			t.Errorf("calls = %v, want %v", got, want)
		}
		if f.Status("ml-server") != types.StackStatusUpdateComplete {
			t.Errorf("server %s", f.Status("ml-server"))
		}
	})
}

func TestThrottlingBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Throttle("DescribeStackEvents", 4)
		f.Throttle("DescribeChangeSet", 2)
		e, _ := newEngine(f, Options{Concurrency: 1})
		start := time.Now()
		if _, err := e.Deploy(t.Context(), graph()); err != nil {
			t.Fatal(err)
		}
		throttledRun := time.Since(start)
		if f.Throttles("DescribeStackEvents") != 0 || f.Throttles("DescribeChangeSet") != 0 {
			t.Error("throttled calls were not retried")
		}
		g := cfnfake.New()
		e2, _ := newEngine(g, Options{Concurrency: 1})
		start = time.Now()
		if _, err := e2.Deploy(t.Context(), graph()); err != nil {
			t.Fatal(err)
		}
		if calm := time.Since(start); throttledRun <= calm {
			t.Errorf("throttled run took %s, calm run %s: no back-off", throttledRun, calm)
		}
		for _, n := range []string{"ml-bootstrap", "ml-server", "ml-api"} {
			if f.Status(n) != types.StackStatusCreateComplete {
				t.Errorf("%s: %s", n, f.Status(n))
			}
		}
	})
}

// startUpdate makes the fake run an update of ml-server, as another
// user's run would.
func startUpdate(f *cfnfake.Fake) {
	st := f.Stack("ml-server")
	st.Params["Bucket"] = "other"
	st.Tags[TagHash] = "hash-of-the-other-run"
	f.StartUpdate("ml-server", st.Params, st.Tags)
}

func TestBusyStackIsWaitedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		deployed(t, f)
		startUpdate(f)
		e, rec := newEngine(f, Options{})
		if _, err := e.Deploy(t.Context(), graph()); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(rec.phases("server"), PhaseRecovering) {
			t.Errorf("server phases = %v", rec.phases("server"))
		}
		// The other run changed Bucket; this run puts it back.
		if f.Stack("ml-server").Params["Bucket"] != "ml-assets" || f.Status("ml-server") != types.StackStatusUpdateComplete {
			t.Errorf("server %s with %v", f.Status("ml-server"), f.Stack("ml-server").Params)
		}
	})
}

func TestBusyStackIsRefusedWithNoWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		deployed(t, f)
		startUpdate(f)
		e, _ := newEngine(f, Options{NoWait: true})
		_, err := e.Deploy(t.Context(), graph())
		var busy *StackInProgressError
		if !errors.As(err, &busy) || busy.Name != "ml-server" || busy.Status != "UPDATE_IN_PROGRESS" {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(err.Error(), "ml-server") {
			t.Errorf("message does not name the stack: %v", err)
		}
		if got := f.Mutations(); len(got) != 0 {
			t.Errorf("calls = %v, want none", got)
		}
	})
}

func TestDeleteFailureNamesResourcesAndRerunFinishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		deployed(t, f)
		f.Script("ml-bootstrap", cfnfake.Outcome{FailID: "Assets", Reason: "The bucket you tried to delete is not empty"})
		d := graph()
		var hooked []string
		var mu sync.Mutex
		for i := range d.Stacks {
			id := d.Stacks[i].ID
			d.Stacks[i].BeforeDelete = func(_ context.Context, own map[string]string) error {
				mu.Lock()
				defer mu.Unlock()
				hooked = append(hooked, id+":"+own["AssetsBucketName"]+own["RestApiId"])
				return nil
			}
		}
		e, _ := newEngine(f, Options{})
		err := e.Delete(t.Context(), d)
		var df *DeleteFailedError
		if !errors.As(err, &df) || df.Name != "ml-bootstrap" || len(df.Resources) != 1 || df.Resources[0].LogicalID != "Assets" ||
			df.Resources[0].Reason != "The bucket you tried to delete is not empty" {
			t.Fatalf("err = %v", err)
		}
		muts := f.Mutations()
		last := muts[len(muts)-1]
		if last != "DeleteStack ml-bootstrap" || muts[0] != "UpdateTerminationProtection ml-bootstrap" && !strings.HasPrefix(muts[0], "DeleteStack ml-") {
			t.Errorf("delete order = %v: dependents first, bootstrap last", muts)
		}
		if idx := slices.Index(muts, "UpdateTerminationProtection ml-bootstrap"); idx < slices.Index(muts, "DeleteStack ml-server") {
			t.Errorf("bootstrap was touched before its dependents were gone: %v", muts)
		}
		if f.Stack("ml-server") != nil || f.Stack("ml-api") != nil || f.Status("ml-bootstrap") != types.StackStatusDeleteFailed {
			t.Errorf("after delete: %v", f.Names())
		}
		slices.Sort(hooked)
		if !slices.Equal(hooked, []string{"api:api123", "bootstrap:ml-assets", "server:"}) {
			t.Errorf("BeforeDelete saw %v", hooked)
		}

		f.ResetCalls()
		if err := e.Delete(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if len(f.Names()) != 0 {
			t.Errorf("left: %v", f.Names())
		}
		if got := f.Mutations(); !slices.Equal(got, []string{"DeleteStack ml-bootstrap"}) {
			t.Errorf("re-run calls = %v", got)
		}
	})
}

func TestDeleteRefusesStacksItDoesNotOwn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Seed("ml-api", tplAPI, nil, map[string]string{"owner": "someone"}, types.StackStatusCreateComplete)
		e, _ := newEngine(f, Options{})
		err := e.Delete(t.Context(), graph())
		var no *NotOwnedError
		if !errors.As(err, &no) || no.Name != "ml-api" {
			t.Fatalf("err = %v", err)
		}
		if got := f.Mutations(); len(got) != 0 {
			t.Errorf("calls = %v", got)
		}
	})
}

func TestInterruptDuringCreateDeletesHalfCreatedStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		ctx, cancel := context.WithCancel(t.Context())
		var asked []string
		e, _ := newEngine(f, Options{Confirm: func(_ context.Context, q string) (bool, error) {
			asked = append(asked, q)
			return true, nil
		}})
		time.AfterFunc(2500*time.Millisecond, cancel) // bootstrap is creating
		_, err := e.Deploy(ctx, graph())
		var intr *InterruptedError
		if !errors.As(err, &intr) || intr.ExitCode() != 130 || len(intr.Running) != 0 {
			t.Fatalf("err = %v", err)
		}
		if len(asked) != 1 || !strings.Contains(asked[0], "ml-bootstrap") {
			t.Errorf("asked %v", asked)
		}
		want := []string{"CreateChangeSet ml-bootstrap", "ExecuteChangeSet ml-bootstrap", "DeleteStack ml-bootstrap"}
		if got := f.Mutations(); !slices.Equal(got, want) {
			t.Errorf("calls = %v, want %v", got, want)
		}
		if len(f.Names()) != 0 {
			t.Errorf("left: %v", f.Names())
		}
	})
}

func TestInterruptDuringCreateWithoutConsentLeavesItRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		ctx, cancel := context.WithCancel(t.Context())
		e, rec := newEngine(f, Options{}) // no Confirm, no Yes: the answer is no
		time.AfterFunc(2500*time.Millisecond, cancel)
		_, err := e.Deploy(ctx, graph())
		var intr *InterruptedError
		if !errors.As(err, &intr) || !slices.Equal(intr.Running, []string{"ml-bootstrap (creating)"}) {
			t.Fatalf("err = %v", err)
		}
		if f.Count("DeleteStack") != 0 {
			t.Error("deleted without consent")
		}
		if p := rec.phases("bootstrap"); p[len(p)-1] != PhaseDetached {
			t.Errorf("phases %v", p)
		}
	})
}

func TestInterruptDuringUpdateCancelsAndRollsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		deployed(t, f)
		ctx, cancel := context.WithCancel(t.Context())
		e, _ := newEngine(f, Options{})
		time.AfterFunc(2500*time.Millisecond, cancel)
		_, err := e.Deploy(ctx, changedServer())
		var intr *InterruptedError
		if !errors.As(err, &intr) || len(intr.Done) != 1 || !strings.Contains(intr.Done[0], "rolled back") {
			t.Fatalf("err = %v", err)
		}
		want := []string{"CreateChangeSet ml-server", "ExecuteChangeSet ml-server", "CancelUpdateStack ml-server"}
		if got := f.Mutations(); !slices.Equal(got, want) {
			t.Errorf("calls = %v, want %v", got, want)
		}
		if f.Status("ml-server") != types.StackStatusUpdateRollbackComplete {
			t.Errorf("server %s", f.Status("ml-server"))
		}
	})
}

func TestInterruptBeforeExecuteChangesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		ctx, cancel := context.WithCancel(t.Context())
		e, _ := newEngine(f, Options{})
		time.AfterFunc(500*time.Millisecond, cancel) // waiting for the change set
		_, err := e.Deploy(ctx, graph())
		var intr *InterruptedError
		if !errors.As(err, &intr) || !strings.Contains(intr.Done[0], "nothing changed") {
			t.Fatalf("err = %v", err)
		}
		want := []string{"CreateChangeSet ml-bootstrap", "DeleteChangeSet ml-bootstrap", "DeleteStack ml-bootstrap"}
		if got := f.Mutations(); !slices.Equal(got, want) {
			t.Errorf("calls = %v, want %v", got, want)
		}
		time.Sleep(time.Minute)
		if f.Status("ml-bootstrap") != "" {
			t.Error("the empty review stack was left")
		}
	})
}

func TestSecondInterruptDetaches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.SetDuration("ml-bootstrap", time.Minute)
		ctx, cancel := context.WithCancel(t.Context())
		detach := make(chan struct{})
		e, _ := newEngine(f, Options{Yes: true, Detach: detach})
		time.AfterFunc(5*time.Second, cancel)
		time.AfterFunc(10*time.Second, func() { close(detach) })
		_, err := e.Deploy(ctx, graph())
		var intr *InterruptedError
		if !errors.As(err, &intr) || !slices.Equal(intr.Running, []string{"ml-bootstrap (deleting)"}) {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(err.Error(), "still running in AWS") {
			t.Errorf("message: %v", err)
		}
		if f.Status("ml-bootstrap") != types.StackStatusDeleteInProgress {
			t.Errorf("bootstrap %s", f.Status("ml-bootstrap"))
		}
	})
}

// fanOut deploys A → {B, C} with the given durations and returns how long
// it took on the fake clock.
func fanOut(t testing.TB, concurrency int, a, b, c time.Duration) time.Duration {
	f := cfnfake.New()
	f.SetDuration("ml-bootstrap", a)
	f.SetDuration("ml-server", b)
	f.SetDuration("ml-api", c)
	e := New(f, Options{Concurrency: concurrency})
	start := time.Now()
	if _, err := e.Deploy(context.Background(), graph()); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

func TestIndependentStacksRunConcurrently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, c := 3*time.Minute, 5*time.Minute, 8*time.Minute
		parallel := fanOut(t, 4, a, b, c)
		serial := fanOut(t, 1, a, b, c)
		t.Logf("A=%s B=%s C=%s: concurrent %s, one at a time %s", a, b, c, parallel, serial)
		if parallel < a+c || parallel > a+c+time.Minute {
			t.Errorf("concurrent run took %s, want about A+max(B,C) = %s", parallel, a+c)
		}
		if serial < a+b+c {
			t.Errorf("one-at-a-time run took %s, want at least A+B+C = %s", serial, a+b+c)
		}
	})
}

// BenchmarkFanOut reports the fake-clock duration of A → {B, C} with
// A=3m, B=5m, C=8m, concurrently and one stack at a time.
func BenchmarkFanOut(b *testing.B) {
	for _, conc := range []int{4, 1} {
		name := map[int]string{4: "concurrent", 1: "serial"}[conc]
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				synctest.Test(&testing.T{}, func(*testing.T) {
					total += fanOut(b, conc, 3*time.Minute, 5*time.Minute, 8*time.Minute)
				})
			}
			b.ReportMetric(total.Minutes()/float64(b.N), "fake-min/op")
		})
	}
}
