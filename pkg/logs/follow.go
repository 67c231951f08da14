package logs

import (
	"context"
	"time"
)

// Follow's defaults. Each poll makes one FilterLogEvents call per group (up
// to five), and FilterLogEvents allows 5 transactions per second per
// account and Region, a quota that cannot be raised (AWS knowledge center,
// "cloudwatch-logs-throttling"): polls at least 2 s apart stay under half
// of it, leaving room for a second user. Idle polls back off to 10 s.
const (
	DefaultMinWait  = 2 * time.Second
	DefaultMaxWait  = 10 * time.Second
	DefaultLookback = time.Minute
)

// Follower reads new events as they arrive, by polling FilterLogEvents
// with a moving start time.
type Follower struct {
	API      LogsAPI
	Groups   []Group
	Pattern  string
	PageSize int32
	// MinWait and MaxWait bound the wait between polls: it doubles after
	// a poll with nothing new and falls back to MinWait after one with
	// events.
	MinWait, MaxWait time.Duration
	// Lookback re-reads this much before the newest event seen: events
	// reach CloudWatch late (the awslogs driver buffers, each task and
	// Lambda instance writes its own stream), so a later poll can find
	// an event older than one already printed. Event ids drop repeats.
	Lookback time.Duration
	// Now and Sleep are the clock; tests pass fakes.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Run prints what is there since since, then polls until ctx ends, passing
// each poll's new events (and groups newly found missing) to emit. It
// returns ctx's error when stopped, or the first failure.
func (f *Follower) Run(ctx context.Context, since time.Time, emit func(Result) error) error {
	f.defaults()
	start := since
	seen := map[string]int64{} // event id → timestamp (ms), for events at or after start
	missing := map[string]bool{}
	var latest int64
	wait := f.MinWait
	for {
		polled := f.Now()
		r, err := Read(ctx, f.API, f.Groups, Query{Start: start, Pattern: f.Pattern, PageSize: f.PageSize})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		fresh := Result{}
		for _, e := range r.Events {
			if _, dup := seen[e.EventID]; dup {
				continue
			}
			ms := e.Time.UnixMilli()
			seen[e.EventID] = ms
			latest = max(latest, ms)
			fresh.Events = append(fresh.Events, e)
		}
		for _, g := range r.Missing {
			if !missing[g.Name] {
				missing[g.Name] = true
				fresh.Missing = append(fresh.Missing, g)
			}
		}
		if len(fresh.Events) > 0 || len(fresh.Missing) > 0 {
			if err := emit(fresh); err != nil {
				return err
			}
		}
		start = nextStart(since, latest, polled, f.Lookback)
		for id, ms := range seen {
			if ms < start.UnixMilli() {
				delete(seen, id)
			}
		}
		wait = nextWait(wait, len(fresh.Events) > 0, f.MinWait, f.MaxWait)
		if err := f.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// nextStart is where the next poll reads from: lookback before the newest
// event seen, or before the last poll when none was; never before since.
func nextStart(since time.Time, latest int64, polled time.Time, lookback time.Duration) time.Time {
	mark := polled
	if latest > 0 {
		mark = time.UnixMilli(latest)
	}
	s := mark.Add(-lookback)
	if s.Before(since) {
		return since
	}
	return s
}

// nextWait doubles the wait after an idle poll, up to hi; new events bring
// it back to lo.
func nextWait(cur time.Duration, gotEvents bool, lo, hi time.Duration) time.Duration {
	if gotEvents {
		return lo
	}
	return min(max(cur*2, lo), hi)
}

func (f *Follower) defaults() {
	if f.MinWait <= 0 {
		f.MinWait = DefaultMinWait
	}
	if f.MaxWait < f.MinWait {
		f.MaxWait = max(DefaultMaxWait, f.MinWait)
	}
	if f.Lookback <= 0 {
		f.Lookback = DefaultLookback
	}
	if f.Now == nil {
		f.Now = time.Now
	}
	if f.Sleep == nil {
		f.Sleep = sleep
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
