package logs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// LogsAPI is the CloudWatch Logs call that reads events.
type LogsAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// Query is what to read from each group.
type Query struct {
	Start time.Time
	// Pattern is a CloudWatch Logs filter pattern, passed as it is.
	Pattern string
	// PageSize is FilterLogEvents' limit; 0 leaves AWS's (up to 10,000
	// events or 1 MB a page).
	PageSize int32
}

// Result is what one read found.
type Result struct {
	Events []Event
	// Missing are groups that do not exist (yet): API Gateway and Lambda
	// create nothing until the first request, and a stack may be half way.
	Missing []Group
}

// Read reads every group from q.Start, all pages, and merges the events by
// time. A group that does not exist is reported in Missing, not an error.
func Read(ctx context.Context, api LogsAPI, groups []Group, q Query) (Result, error) {
	var r Result
	for _, g := range groups {
		evs, err := readGroup(ctx, api, g, q)
		var nf *cwtypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf):
			r.Missing = append(r.Missing, g)
		case err != nil:
			return r, fmt.Errorf("read log group %s (%s): %w", g.Name, g.Component, err)
		default:
			r.Events = append(r.Events, evs...)
		}
	}
	Merge(r.Events)
	return r, nil
}

// readGroup follows nextToken to the end: FilterLogEvents may return an
// empty page with a token while it still searches (FilterLogEvents API
// reference: "This operation can return empty results while there are
// more log events available through the token").
func readGroup(ctx context.Context, api LogsAPI, g Group, q Query) ([]Event, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(g.Name),
		StartTime:    aws.Int64(q.Start.UnixMilli()),
	}
	if q.Pattern != "" {
		in.FilterPattern = aws.String(q.Pattern)
	}
	if q.PageSize > 0 {
		in.Limit = aws.Int32(q.PageSize)
	}
	var out []Event
	p := cloudwatchlogs.NewFilterLogEventsPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range page.Events {
			out = append(out, toEvent(g, e))
		}
	}
	return out, nil
}

func toEvent(g Group, e cwtypes.FilteredLogEvent) Event {
	stream, msg := aws.ToString(e.LogStreamName), aws.ToString(e.Message)
	return Event{
		Time:      time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(),
		Component: g.Component,
		ID:        ID(g.Component, stream, msg),
		Message:   msg,
		Group:     g.Name,
		Stream:    stream,
		EventID:   aws.ToString(e.EventId),
		ingested:  aws.ToInt64(e.IngestionTime),
	}
}
