package logs

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Event is one log line of a component.
type Event struct {
	Time      time.Time `json:"time"`
	Component Component `json:"component"`
	// ID is the ECS task id (server, gateway), the Lambda request id
	// (authorizer) or the API Gateway request id (api); empty when the
	// line carries none.
	ID      string `json:"id,omitempty"`
	Message string `json:"message"`
	Group   string `json:"logGroup"`
	Stream  string `json:"logStream"`
	EventID string `json:"eventId"`
	// ingested orders events with the same timestamp as CloudWatch does.
	ingested int64
}

// Merge sorts events of several groups into one timeline: by timestamp,
// then ingestion time, then component and event id, so equal times print
// the same way every run.
func Merge(events []Event) {
	sort.SliceStable(events, func(i, j int) bool {
		a, b := events[i], events[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.ingested != b.ingested {
			return a.ingested < b.ingested
		}
		if a.Component != b.Component {
			return a.Component < b.Component
		}
		return a.EventID < b.EventID
	})
}

// WriteText writes one line per event: time (UTC, milliseconds),
// component, id ("-" when none) and the message. A message of several
// lines (a Python traceback in one event) keeps its lines, indented.
func WriteText(w io.Writer, events []Event) error {
	for _, e := range events {
		msg := strings.TrimRight(e.Message, "\r\n")
		msg = strings.ReplaceAll(msg, "\n", "\n    ")
		id := e.ID
		if id == "" {
			id = "-"
		}
		if _, err := fmt.Fprintf(w, "%s  %-10s  %s  %s\n", e.Time.UTC().Format("2006-01-02T15:04:05.000Z"), e.Component, id, msg); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes one JSON object per line (NDJSON), so a follow can
// stream and `jq` can read each line as it comes.
func WriteJSON(w io.Writer, events []Event) error {
	enc := json.NewEncoder(w)
	for _, e := range events {
		e.Message = strings.TrimRight(e.Message, "\r\n")
		e.Time = e.Time.UTC()
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}

// uuidRe matches the request ids of Lambda and API Gateway.
var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// execIDRe is the request id API Gateway execution logs start with:
// "(3f1c...-...) Method completed with status: 502".
var execIDRe = regexp.MustCompile(`^\(([0-9a-fA-F-]{36})\)`)

// lambdaStartRe is a Lambda platform line in text format: "START RequestId: <id> Version: $LATEST".
var lambdaStartRe = regexp.MustCompile(`^(?:START|END|REPORT) RequestId: ([0-9a-fA-F-]{36})`)

// ID finds the task or request id of one log event.
func ID(c Component, stream, message string) string {
	switch c {
	case Server, Gateway:
		return taskID(stream)
	case Authorizer:
		return lambdaRequestID(message)
	case API:
		return apiRequestID(message)
	}
	return ""
}

// taskID is the task id ECS puts last in the stream name:
// prefix/container/task-id (awslogs driver, "awslogs-stream-prefix").
func taskID(stream string) string {
	parts := strings.Split(stream, "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[len(parts)-1]
}

// lambdaRequestID reads the request id of an authorizer line. The
// function logs in JSON (LoggingConfig.LogFormat JSON): application lines
// carry "requestId", platform lines ("platform.start", "platform.report")
// carry record.requestId. Text-format lines are read too, for a function
// switched back to text: "START RequestId: <id>" and Node's
// "<time>\t<id>\tINFO\t<message>".
func lambdaRequestID(message string) string {
	var j struct {
		RequestID string `json:"requestId"`
		Record    struct {
			RequestID string `json:"requestId"`
		} `json:"record"`
	}
	if json.Unmarshal([]byte(message), &j) == nil {
		if j.RequestID != "" {
			return j.RequestID
		}
		return j.Record.RequestID
	}
	if m := lambdaStartRe.FindStringSubmatch(message); m != nil {
		return m[1]
	}
	if f := strings.SplitN(message, "\t", 3); len(f) == 3 && uuidRe.MatchString(f[1]) {
		return f[1]
	}
	return ""
}

// apiRequestID reads the request id of an API Gateway line: the
// "requestId" of an access-log line (the JSON format pkg/stacks sets),
// or the parenthesised id an execution-log line starts with.
func apiRequestID(message string) string {
	var j struct {
		RequestID string `json:"requestId"`
	}
	if json.Unmarshal([]byte(message), &j) == nil && j.RequestID != "" {
		return j.RequestID
	}
	if m := execIDRe.FindStringSubmatch(message); m != nil {
		return m[1]
	}
	return ""
}
