package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

// withImageStep adds an "image" step after bootstrap whose output the
// server stack imports, and a "publish" step after the server.
func withImageStep(d Deployment, build, publish func(context.Context, Outputs) (map[string]string, error)) Deployment {
	d.Stacks[1].Imports = append(d.Stacks[1].Imports, Import{Param: "ImageUri", FromStack: "image", Output: "Uri"})
	d.Steps = []Step{
		{ID: "image", DependsOn: []string{"bootstrap"}, Run: build},
		{ID: "publish", DependsOn: []string{"server"}, Run: publish},
	}
	return d
}

// TestStepsGetOutputsAndFeedParameters: a step sees the outputs of what
// it depends on; a stack imports a step's output as a parameter, exactly as
// a stack output, and waits for the step without naming it in DependsOn;
// a later step sees both.
func TestStepsGetOutputsAndFeedParameters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		var before, after Outputs
		d := withImageStep(graph(),
			func(_ context.Context, deps Outputs) (map[string]string, error) {
				before = deps
				return map[string]string{"Uri": "repo@sha256:abc"}, nil
			},
			func(_ context.Context, deps Outputs) (map[string]string, error) {
				after = deps
				return nil, nil
			})
		e, rec := newEngine(f, Options{})
		outs, err := e.Deploy(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		if before["bootstrap"]["AssetsBucketName"] != "ml-assets" {
			t.Errorf("the image step saw %v", before)
		}
		if after["server"]["UsesBucket"] != "ml-assets" || after["image"]["Uri"] != "repo@sha256:abc" {
			t.Errorf("the publish step saw %v", after)
		}
		if f.Stack("ml-server").Params["ImageUri"] != "repo@sha256:abc" {
			t.Errorf("server params = %v", f.Stack("ml-server").Params)
		}
		if outs["image"]["Uri"] == "" || outs["publish"] == nil {
			t.Errorf("Deploy's outputs lack the steps': %v", outs)
		}
		if got := rec.stepPhases("image"); !slices.Equal(got, []Phase{PhaseWaiting, PhaseRunning, PhaseComplete}) {
			t.Errorf("image step phases %v", got)
		}
		start := rec.first(KindStart)
		if !slices.Equal(start.Stacks, []string{"bootstrap", "api", "server"}) || !slices.Equal(start.Steps, []string{"image", "publish"}) {
			t.Errorf("start event: stacks %v, steps %v", start.Stacks, start.Steps)
		}
	})
}

// TestFailedStepSkipsWhatWaitsForIt: a failing step stops the stacks
// that import from it before any change set, names the step as the root
// cause, and leaves independent stacks alone.
func TestFailedStepSkipsWhatWaitsForIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		published := false
		d := withImageStep(graph(),
			func(context.Context, Outputs) (map[string]string, error) { return nil, errors.New("build failed") },
			func(context.Context, Outputs) (map[string]string, error) { published = true; return nil, nil })
		e, rec := newEngine(f, Options{})
		_, err := e.Deploy(t.Context(), d)
		if err == nil || !strings.Contains(err.Error(), "step image: build failed") {
			t.Fatalf("err = %v", err)
		}
		if f.Count("CreateChangeSet ml-server") != 0 || published {
			t.Errorf("ran past the failed step: calls %v, published %v", f.Mutations(), published)
		}
		if f.Status("ml-api") != types.StackStatusCreateComplete {
			t.Errorf("the api stack, which does not wait for the image, is %s", f.Status("ml-api"))
		}
		if got := rec.phases("server"); got[len(got)-1] != PhaseSkipped {
			t.Errorf("server phases %v", got)
		}
		if got := rec.stepPhases("publish"); got[len(got)-1] != PhaseSkipped {
			t.Errorf("publish phases %v", got)
		}
	})
}

// TestInterruptInStepIsAnInterrupt: Ctrl-C while a step runs is exit
// 130, and nothing that waits for the step starts.
func TestInterruptInStepIsAnInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		ctx, cancel := context.WithCancel(t.Context())
		d := withImageStep(graph(),
			func(ctx context.Context, _ Outputs) (map[string]string, error) {
				cancel()
				return nil, fmt.Errorf("building image: %w", ctx.Err())
			},
			func(context.Context, Outputs) (map[string]string, error) { return nil, nil })
		_, err := New(f, Options{}).Deploy(ctx, d)
		var intr *InterruptedError
		if !errors.As(err, &intr) || intr.ExitCode() != 130 {
			t.Fatalf("err = %v", err)
		}
		if f.Count("CreateChangeSet ml-server") != 0 || f.Status("ml-bootstrap") != types.StackStatusCreateComplete {
			t.Errorf("calls = %v", f.Mutations())
		}
	})
}

// TestStepNotesAreStepEvents: a running step's progress lines reach
// subscribers as the step's events, on one line each.
func TestStepNotesAreStepEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		e, rec := newEngine(f, Options{})
		d := withImageStep(graph(),
			func(context.Context, Outputs) (map[string]string, error) {
				e.Note("image", "  pushing layer 3/7\n")
				time.Sleep(time.Second)
				return map[string]string{"Uri": "u"}, nil
			},
			func(context.Context, Outputs) (map[string]string, error) { return nil, nil })
		if _, err := e.Deploy(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range rec.all() {
			if ev.Kind == KindStep && ev.Stack == "image" && ev.Reason == "pushing layer 3/7" && ev.Phase == PhaseRunning {
				found = true
			}
		}
		if !found {
			t.Errorf("no running note for the image step in %v", rec.all())
		}
	})
}

// TestPlanStatusAndDeletePassOverSteps: Plan runs no step (a parameter
// imported from one keeps the stack's value), Status lists stacks only,
// and Delete deletes the stacks and runs nothing.
func TestPlanStatusAndDeletePassOverSteps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := cfnfake.New()
		runs := 0
		step := func(context.Context, Outputs) (map[string]string, error) {
			runs++
			return map[string]string{"Uri": "u"}, nil
		}
		d := withImageStep(graph(), step, step)
		e, _ := newEngine(f, Options{})
		if _, err := e.Deploy(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		runs = 0
		plans, err := e.Plan(t.Context(), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(plans) != 3 || runs != 0 {
			t.Errorf("plan %v ran %d steps", plans, runs)
		}
		for _, p := range plans {
			// The server's image parameter is unknown to a plan, so its
			// hash cannot match: a change set decides (empty against AWS).
			if p.Stack != "server" && p.Action != ActionNone {
				t.Errorf("unchanged %s planned as %s", p.Stack, p.Action)
			}
		}
		sts, err := e.Status(t.Context(), d)
		if err != nil || len(sts) != 3 {
			t.Errorf("status %v, %v", sts, err)
		}
		if err := e.Delete(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if runs != 0 || f.Status("ml-server") != "" {
			t.Errorf("delete ran %d steps; server %s", runs, f.Status("ml-server"))
		}
	})
}

// TestBadStepsAreRefused: a step with no work, a clash of IDs and a cycle
// through a step are invalid deployments, found before any call.
func TestBadStepsAreRefused(t *testing.T) {
	nop := func(context.Context, Outputs) (map[string]string, error) { return nil, nil }
	for name, d := range map[string]Deployment{
		"no run":  {Name: "ml", Steps: []Step{{ID: "x"}}},
		"clash":   {Name: "ml", Stacks: graph().Stacks, Steps: []Step{{ID: "server", Run: nop}}},
		"cycle":   withImageStep(graph(), nop, nop),
		"unknown": {Name: "ml", Steps: []Step{{ID: "x", DependsOn: []string{"nope"}, Run: nop}}},
	} {
		if name == "cycle" {
			d.Steps[0].DependsOn = []string{"server"} // server imports from the image step
		}
		f := cfnfake.New()
		_, err := New(f, Options{}).Deploy(context.Background(), d)
		var bad *InvalidDeploymentError
		if !errors.As(err, &bad) || len(f.Calls()) != 0 {
			t.Errorf("%s: err %v, calls %v", name, err, f.Calls())
		}
	}
}
