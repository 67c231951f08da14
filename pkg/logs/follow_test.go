package logs

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestFollowPrintsEachEventOnceWithBoundedBackoff runs the follower against
// moto with a scripted clock: each wait is recorded (never slept) and
// drives the next step, so nothing depends on real time.
//   - the first poll prints what is there since --since;
//   - a new event is printed once, though the look-back reads it again;
//   - an event that reaches CloudWatch late, older than one already
//     printed, is still printed (the look-back window);
//   - idle polls double the wait up to the bound, new events reset it;
//   - a missing group is told once, not at every poll;
//   - cancelling (Ctrl-C) ends Run with context.Canceled.
func TestFollowPrintsEachEventOnceWithBoundedBackoff(t *testing.T) {
	w := newWorld(t)
	w.deployment(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	step := func(n int) {
		switch n {
		case 1:
			w.put(t, serverGroup, "mlflow-server/mlflow-server/"+task2, line{60 * time.Second, "new A"})
		case 2:
			// Late: older than A, from another task's stream.
			w.put(t, serverGroup, "mlflow-server/mlflow-server/"+task1, line{55 * time.Second, "late B"})
		case 7:
			cancel()
		}
	}
	f := &Follower{
		API:    w.logs,
		Groups: []Group{{Server, serverGroup}, {API, "/mlflowctl/mlflow/never-created"}},
		Now:    func() time.Time { return w.base.Add(time.Minute) },
		Sleep: func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			step(len(waits))
			return ctx.Err()
		},
	}
	var printed []string
	missingTold := 0
	err := f.Run(ctx, w.base, func(r Result) error {
		for _, e := range r.Events {
			printed = append(printed, e.Message)
		}
		missingTold += len(r.Missing)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run ended with %v, want context.Canceled", err)
	}
	want := []string{
		"[INFO] Starting gunicorn", "[INFO] Listening at: http://0.0.0.0:5000",
		"ERROR Traceback (most recent call last):\n  File x\nValueError: boom",
		"new A", "late B",
	}
	if !slices.Equal(printed, want) {
		t.Errorf("printed:\n got %q\nwant %q", printed, want)
	}
	// Polls: initial (events), A (events), B (events), then idle ×4.
	wantWaits := []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	if !slices.Equal(waits, wantWaits) {
		t.Errorf("waits = %v, want %v", waits, wantWaits)
	}
	if missingTold != 1 {
		t.Errorf("the missing group was told %d times, want once", missingTold)
	}
}

func TestNextStartLooksBackFromTheNewestEvent(t *testing.T) {
	since := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	polled := since.Add(time.Hour)
	cases := []struct {
		name   string
		latest time.Time
		want   time.Time
	}{
		{"no event yet: a minute before the poll", time.Time{}, polled.Add(-time.Minute)},
		{"a minute before the newest event", since.Add(30 * time.Minute), since.Add(29 * time.Minute)},
		{"never before --since", since.Add(10 * time.Second), since},
	}
	for _, c := range cases {
		var ms int64
		if !c.latest.IsZero() {
			ms = c.latest.UnixMilli()
		}
		if got := nextStart(since, ms, polled, time.Minute); !got.Equal(c.want) {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
