package deploy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

// forever is more throttled calls than any run makes.
const forever = 1 << 30

// bounded runs fn with a context that ends after an hour of fake time,
// so a wait without a bound fails the test instead of hanging it.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	t.Cleanup(cancel)
	return ctx
}

func bootstrapOnly() Deployment {
	d := graph()
	d.Stacks = d.Stacks[:1]
	return d
}

// CloudFormation throttles DescribeStackEvents for the whole run: the
// events are for show, the status check still sees the stack complete,
// and the user is told why the events stopped.
// (Throttling returns "Rate exceeded"; CloudFormation's quotas page says
// API calls are throttled per account and region.)
func TestConstantEventThrottlingDoesNotHideCompletion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Throttle("DescribeStackEvents", forever)
		e, rec := newEngine(f, Options{})
		if _, err := e.Deploy(bounded(t), bootstrapOnly()); err != nil {
			t.Fatalf("deploy under constant event throttling: %v", err)
		}
		if f.Status("ml-bootstrap") != types.StackStatusCreateComplete {
			t.Fatalf("bootstrap %s", f.Status("ml-bootstrap"))
		}
		if !rec.noted("bootstrap", "throttling DescribeStackEvents") {
			t.Error("no progress note said CloudFormation was throttling")
		}
	})
}

// CloudFormation throttles DescribeStacks without a break once the create
// runs: the engine stops after ThrottleLimit with an error naming the
// stack, the call and the next step, instead of waiting without end.
func TestConstantStatusThrottlingIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.SetDuration("ml-bootstrap", time.Minute)
		e, _ := newEngine(f, Options{})
		time.AfterFunc(3*time.Second, func() { f.Throttle("DescribeStacks", forever) })
		start := time.Now()
		_, err := e.Deploy(bounded(t), bootstrapOnly())
		var wl *WaitLimitError
		if !errors.As(err, &wl) || !wl.Throttled || wl.Name != "ml-bootstrap" || !strings.Contains(err.Error(), "DescribeStacks") ||
			!strings.Contains(wl.Hint(), "mlflowctl status") {
			t.Fatalf("err = %v", err)
		}
		t.Logf("gave up after %s of fake time: %v", time.Since(start).Round(time.Second), err)
	})
}

// A stack operation longer than MaxWait ends the wait with a message that
// says what it waited for.
func TestWaitForAStackOperationIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.SetDuration("ml-bootstrap", 2*time.Hour)
		e, _ := newEngine(f, Options{MaxWait: 30 * time.Minute})
		_, err := e.Deploy(t.Context(), bootstrapOnly())
		var wl *WaitLimitError
		if !errors.As(err, &wl) || !strings.Contains(err.Error(), "waiting for CloudFormation to create ml-bootstrap") {
			t.Fatalf("err = %v", err)
		}
	})
}

func (r *recorder) noted(stack, text string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Kind == KindStack && e.Stack == stack && strings.Contains(e.Reason, text) {
			return true
		}
	}
	return false
}

// lostReply plays CreateStack whose reply was lost: CloudFormation made
// the stack, the SDK retried, and the retry got AlreadyExistsException.
// It stands in for the SDK's retry; the stack and its events are the
// fake's.
type lostReply struct{ *cfnfake.Fake }

func (l lostReply) CreateStack(ctx context.Context, in *cloudformation.CreateStackInput, o ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error) {
	if _, err := l.Fake.CreateStack(ctx, in, o...); err != nil {
		return nil, err
	}
	return l.Fake.CreateStack(ctx, in, o...)
}

func TestLostReplyToCreateStackIsTheCreateItWas(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e := New(lostReply{f}, Options{Version: "1.0.0", DirectCalls: true})
		if _, err := e.Deploy(t.Context(), bootstrapOnly()); err != nil {
			t.Fatalf("deploy after a lost CreateStack reply: %v", err)
		}
		if f.Status("ml-bootstrap") != types.StackStatusCreateComplete {
			t.Fatalf("bootstrap %s", f.Status("ml-bootstrap"))
		}
	})
}

// AlreadyExists for a stack this run did not make (another configuration,
// so another hash) is still an error.
func TestAlreadyExistsForAnotherStackIsAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		other := graph()
		other.Stacks[0].Params = map[string]string{"Name": "someone-else"}
		e := New(f, Options{Version: "1.0.0", DirectCalls: true})
		if _, err := e.Deploy(t.Context(), Deployment{Name: "ml", Stacks: other.Stacks[:1]}); err != nil {
			t.Fatal(err)
		}
		// Another run's create lands between this run's describe and create.
		racing := New(racer{f}, Options{Version: "1.0.0", DirectCalls: true})
		_, err := racing.Deploy(t.Context(), bootstrapOnly())
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("err = %v", err)
		}
	})
}

// racer hides the stack from DescribeStacks by name, as if another run
// created it after this run looked.
type racer struct{ *cfnfake.Fake }

func (r racer) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, o ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	out, err := r.Fake.DescribeStacks(ctx, in, o...)
	if err == nil && r.Count("CreateStack") < 2 {
		return nil, errNotExist
	}
	return out, err
}

var errNotExist = &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id ml-bootstrap does not exist"}

// cutShort plays Ctrl-C while CreateStack is on the wire: CloudFormation
// starts the create, the SDK returns the context's error.
type cutShort struct {
	*cfnfake.Fake
	cancel context.CancelFunc
}

func (c cutShort) CreateStack(ctx context.Context, in *cloudformation.CreateStackInput, o ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error) {
	if _, err := c.Fake.CreateStack(ctx, in, o...); err != nil {
		return nil, err
	}
	c.cancel()
	return nil, context.Canceled
}

// "Stopped before it changed anything" must not be said when CreateStack
// reached CloudFormation: the half-created stack is handled like any
// interrupted create (deleted here, with consent).
func TestInterruptDuringCreateStackCallIsReportedAsACreate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		ctx, cancel := context.WithCancel(t.Context())
		e := New(cutShort{f, cancel}, Options{Version: "1.0.0", DirectCalls: true, Yes: true})
		_, err := e.Deploy(ctx, bootstrapOnly())
		var intr *InterruptedError
		if !errors.As(err, &intr) || strings.Contains(err.Error(), "before it changed") || !strings.Contains(err.Error(), "deleted") {
			t.Fatalf("err = %v", err)
		}
		want := []string{"CreateStack ml-bootstrap", "UpdateTerminationProtection ml-bootstrap", "DeleteStack ml-bootstrap"}
		if got := f.Mutations(); !slices.Equal(got, want) {
			t.Errorf("calls %v", got)
		}
		if len(f.Names()) != 0 {
			t.Errorf("left %v", f.Names())
		}
	})
}

// secondInterrupt plays a second Ctrl-C that cancels the clean-up
// DeleteStack before it reaches CloudFormation.
type secondInterrupt struct {
	*cfnfake.Fake
	once   *sync.Once
	detach chan struct{}
}

func (s secondInterrupt) DeleteStack(ctx context.Context, _ *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	s.once.Do(func() { close(s.detach) })
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestSecondInterruptDuringCleanUpReportsTheStackExists(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.SetDuration("ml-bootstrap", time.Minute)
		ctx, cancel := context.WithCancel(t.Context())
		detach := make(chan struct{})
		e := New(secondInterrupt{f, &sync.Once{}, detach}, Options{Version: "1.0.0", Yes: true, Detach: detach})
		time.AfterFunc(5*time.Second, cancel)
		_, err := e.Deploy(ctx, bootstrapOnly())
		var intr *InterruptedError
		if !errors.As(err, &intr) || strings.Contains(err.Error(), "before it changed") || len(intr.Running) != 1 ||
			!strings.Contains(intr.Running[0], "ml-bootstrap") || !strings.Contains(err.Error(), "mlflowctl down") {
			t.Fatalf("err = %v", err)
		}
		if f.Status("ml-bootstrap") == "" {
			t.Fatal("the stack is gone, so the test did not play a cancelled clean-up")
		}
	})
}

// ROLLBACK_FAILED after a failed first create: CloudFormation allows only
// a delete ("Stack status codes", CloudFormation User Guide); the engine
// deletes it and creates the stack anew.
func TestRollbackFailedIsDeletedAndCreatedAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		f.Script("ml-bootstrap", cfnfake.Outcome{FailID: "Repo", Reason: "Repository limit exceeded", Final: types.StackStatusRollbackFailed})
		e, _ := newEngine(f, Options{})
		_, err := e.Deploy(t.Context(), bootstrapOnly())
		var failed *StackFailedError
		if !errors.As(err, &failed) || failed.Status != "ROLLBACK_FAILED" || failed.LogicalID != "Repo" || !strings.Contains(failed.Next, "deleted and created anew") {
			t.Fatalf("err = %v", err)
		}
		f.ResetCalls()
		if _, err := e.Deploy(t.Context(), bootstrapOnly()); err != nil {
			t.Fatal(err)
		}
		want := []string{"DeleteStack ml-bootstrap", "CreateChangeSet ml-bootstrap", "ExecuteChangeSet ml-bootstrap", "UpdateTerminationProtection ml-bootstrap"}
		if got := f.Mutations(); !slices.Equal(got, want) || f.Status("ml-bootstrap") != types.StackStatusCreateComplete {
			t.Errorf("calls %v, status %s", got, f.Status("ml-bootstrap"))
		}
	})
}

// A stack in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS has its new configuration
// and outputs: commands that only read get them; a deploy waits for the
// clean-up and then finds nothing to do.
func TestCleanupInProgressStatesAreWaitedForAndTheirOutputsRead(t *testing.T) {
	for _, status := range []types.StackStatus{types.StackStatusUpdateCompleteCleanupInProgress, types.StackStatusUpdateRollbackCompleteCleanupInProgress} {
		t.Run(string(status), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := cfnfake.New()
				e, rec := newEngine(f, Options{})
				if _, err := e.Deploy(t.Context(), bootstrapOnly()); err != nil {
					t.Fatal(err)
				}
				f.Cleanup("ml-bootstrap", status, 2*time.Minute)
				outs, err := e.Outputs(t.Context(), "ml")
				if err != nil || outs["bootstrap"]["AssetsBucketName"] != "ml-assets" {
					t.Fatalf("outputs during %s: %v %v", status, outs, err)
				}
				f.ResetCalls()
				if _, err := e.Deploy(t.Context(), bootstrapOnly()); err != nil {
					t.Fatal(err)
				}
				if got := f.Mutations(); len(got) != 0 {
					t.Errorf("calls %v, want none", got)
				}
				if p := rec.phases("bootstrap"); !slices.Contains(p, PhaseRecovering) || p[len(p)-1] != PhaseNoChanges {
					t.Errorf("phases %v", p)
				}
			})
		})
	}
}

// garbledReply plays a CreateStack whose answer arrived unreadable: the
// stack was made, the SDK reports a deserialization error.
type garbledReply struct{ *cfnfake.Fake }

func (g garbledReply) CreateStack(ctx context.Context, in *cloudformation.CreateStackInput, o ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error) {
	if _, err := g.Fake.CreateStack(ctx, in, o...); err != nil {
		return nil, err
	}
	return nil, &smithy.DeserializationError{Err: errors.New("unexpected EOF")}
}

func TestGarbledReplyToCreateStackIsTheCreateItWas(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e := New(garbledReply{f}, Options{Version: "1.0.0", DirectCalls: true})
		if _, err := e.Deploy(t.Context(), bootstrapOnly()); err != nil {
			t.Fatalf("deploy after a garbled CreateStack reply: %v", err)
		}
		if f.Status("ml-bootstrap") != types.StackStatusCreateComplete || f.Count("CreateStack") != 1 {
			t.Fatalf("bootstrap %s after %d creates", f.Status("ml-bootstrap"), f.Count("CreateStack"))
		}
	})
}

// cutExecute plays Ctrl-C while ExecuteChangeSet is on the wire: the
// create starts, the SDK returns the context's error.
type cutExecute struct {
	*cfnfake.Fake
	cancel context.CancelFunc
}

func (c cutExecute) ExecuteChangeSet(ctx context.Context, in *cloudformation.ExecuteChangeSetInput, o ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error) {
	if _, err := c.Fake.ExecuteChangeSet(ctx, in, o...); err != nil {
		return nil, err
	}
	c.cancel()
	return nil, context.Canceled
}

// The change-set path says "nothing changed" only when the execute did
// not start: here it did, so the half-created stack is deleted (with
// consent) and the report says so.
func TestInterruptDuringExecuteCallIsReportedAsACreate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		ctx, cancel := context.WithCancel(t.Context())
		e := New(cutExecute{f, cancel}, Options{Version: "1.0.0", Yes: true})
		_, err := e.Deploy(ctx, bootstrapOnly())
		if err == nil || strings.Contains(err.Error(), "nothing changed") || !strings.Contains(err.Error(), "deleted") {
			t.Fatalf("err = %v", err)
		}
		if len(f.Names()) != 0 {
			t.Errorf("left %v", f.Names())
		}
	})
}
