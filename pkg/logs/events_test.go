package logs

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestIDFromStreamOrMessage: where each writer puts its task or request id.
//   - ECS awslogs driver: stream "prefix/container/task-id" (ECS developer
//     guide, "Using the awslogs log driver", awslogs-stream-prefix).
//   - Lambda JSON log format: "requestId" on application lines,
//     record.requestId on platform lines (Lambda developer guide,
//     "Configuring JSON and plain text log formats"); text format:
//     "START RequestId: <id>" and Node's "<time>\t<id>\tINFO\t<msg>".
//   - API Gateway: the access-log format pkg/stacks sets carries
//     "requestId"; execution logs start "(<request id>) " (API Gateway
//     developer guide, "Set up CloudWatch logging for REST APIs").
func TestIDFromStreamOrMessage(t *testing.T) {
	const id = "c0ffee00-1234-4abc-8def-0123456789ab"
	cases := []struct {
		c       Component
		stream  string
		message string
		want    string
	}{
		{Server, "mlflow-server/mlflow-server/0123456789abcdef0123456789abcdef", "INFO hello", "0123456789abcdef0123456789abcdef"},
		{Gateway, "mlflow-gateway/mlflow-gateway/abc123", "x", "abc123"},
		{Server, "odd-stream", "x", ""},
		{Authorizer, "2026/12/04/[$LATEST]abc", `{"timestamp":"2026-12-04T10:00:00Z","level":"INFO","requestId":"` + id + `","message":"allow"}`, id},
		{Authorizer, "s", `{"time":"2026-12-04T10:00:00Z","type":"platform.report","record":{"requestId":"` + id + `","metrics":{}}}`, id},
		{Authorizer, "s", "START RequestId: " + id + " Version: $LATEST", id},
		{Authorizer, "s", "2026-12-04T10:00:00.000Z\t" + id + "\tINFO\tallow", id},
		{Authorizer, "s", "INIT_START Runtime Version: nodejs:22", ""},
		{API, "s", `{"requestId":"` + id + `","status":"200"}`, id},
		{API, "s", "(" + id + ") Method completed with status: 502", id},
		{API, "s", "Execution failed", ""},
	}
	for _, c := range cases {
		if got := ID(c.c, c.stream, c.message); got != c.want {
			t.Errorf("%s %q %q: id %q, want %q", c.c, c.stream, c.message, got, c.want)
		}
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	good := map[string]time.Time{
		"10m":                       now.Add(-10 * time.Minute),
		"2h":                        now.Add(-2 * time.Hour),
		"1d":                        now.Add(-24 * time.Hour),
		"1d12h":                     now.Add(-36 * time.Hour),
		"90s":                       now.Add(-90 * time.Second),
		"2026-12-04T15:04:05Z":      time.Date(2026, 12, 4, 15, 4, 5, 0, time.UTC),
		"2026-12-04T17:04:05+02:00": time.Date(2026, 12, 4, 15, 4, 5, 0, time.UTC),
	}
	for in, want := range good {
		got, err := ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "10", "-5m", "0m", "0d", "xd", "2026-12-05T00:00:00Z", "2026-12-04 15:04"} {
		if _, err := ParseSince(in, now); err == nil {
			t.Errorf("ParseSince(%q) accepted", in)
		}
	}
}

func TestParseComponents(t *testing.T) {
	all, err := ParseComponents(nil)
	if err != nil || !slices.Equal(all, Components) {
		t.Errorf("no component: %v %v, want all", all, err)
	}
	got, err := ParseComponents([]string{"api", "SERVER", "api"})
	if err != nil || !slices.Equal(got, []Component{Server, API}) {
		t.Errorf("api SERVER api: %v %v", got, err)
	}
	_, err = ParseComponents([]string{"serverr"})
	if err == nil || !strings.Contains(err.Error(), "server, gateway, authorizer, api") {
		t.Errorf("serverr: %v, want the components named", err)
	}
}

func TestWriteTextOneLinePerEventTracebacksIndented(t *testing.T) {
	at := time.Date(2026, 12, 4, 16, 0, 1, 234_000_000, time.UTC)
	var b strings.Builder
	err := WriteText(&b, []Event{
		{Time: at, Component: Server, ID: "task1", Message: "Traceback:\n  File x\nValueError\n"},
		{Time: at, Component: API, Message: "no id"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "2026-12-04T16:00:01.234Z  server      task1  Traceback:\n      File x\n    ValueError\n" +
		"2026-12-04T16:00:01.234Z  api         -  no id\n"
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestMergeOrdersTiesTheSameWay(t *testing.T) {
	at := time.UnixMilli(1000)
	evs := []Event{
		{Time: at.Add(time.Millisecond), Component: API, EventID: "1"},
		{Time: at, Component: Server, EventID: "2", ingested: 5},
		{Time: at, Component: API, EventID: "3", ingested: 5},
		{Time: at, Component: Server, EventID: "4", ingested: 4},
	}
	Merge(evs)
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.EventID)
	}
	if want := []string{"4", "3", "2", "1"}; !slices.Equal(ids, want) {
		t.Errorf("order %v, want %v (time, ingestion, component, id)", ids, want)
	}
}

func TestNextWaitIsBounded(t *testing.T) {
	w := DefaultMinWait
	for range 10 {
		w = nextWait(w, false, DefaultMinWait, DefaultMaxWait)
	}
	if w != DefaultMaxWait {
		t.Errorf("after 10 idle polls the wait is %s, want the bound %s", w, DefaultMaxWait)
	}
	if w = nextWait(w, true, DefaultMinWait, DefaultMaxWait); w != DefaultMinWait {
		t.Errorf("after new events the wait is %s, want %s", w, DefaultMinWait)
	}
}
