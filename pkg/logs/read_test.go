package logs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// pages stands in for FilterLogEvents where moto cannot: it returns the
// pages given, in order, following the token. It models nothing else.
type pages struct {
	out   []*cloudwatchlogs.FilterLogEventsOutput
	calls int
	err   error
}

func (p *pages) FilterLogEvents(_ context.Context, _ *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	if p.err != nil {
		return nil, p.err
	}
	p.calls++
	return p.out[p.calls-1], nil
}

// TestReadKeepsGoingPastEmptyPages: FilterLogEvents "can return empty
// results while there are more log events available through the token"
// (FilterLogEvents API reference); moto never does, so a stand-in gives
// two empty pages with tokens before the page with the event.
func TestReadKeepsGoingPastEmptyPages(t *testing.T) {
	api := &pages{out: []*cloudwatchlogs.FilterLogEventsOutput{
		{NextToken: aws.String("t1")},
		{NextToken: aws.String("t2")},
		{Events: []cwtypes.FilteredLogEvent{{EventId: aws.String("e"), Message: aws.String("late"), Timestamp: aws.Int64(1), LogStreamName: aws.String("a/b/task")}}},
	}}
	r, err := Read(context.Background(), api, []Group{{Server, "g"}}, Query{})
	if err != nil || len(r.Events) != 1 || r.Events[0].ID != "task" || api.calls != 3 {
		t.Fatalf("events %v, err %v, %d calls; want the event after two empty pages", r.Events, err, api.calls)
	}
}

// TestReadNamesTheGroupOnOtherErrors: an error that is not a missing group
// (here access denied) fails the read and names the group and component.
func TestReadNamesTheGroupOnOtherErrors(t *testing.T) {
	api := &pages{err: errors.New("AccessDeniedException: not authorized to perform: logs:FilterLogEvents")}
	_, err := Read(context.Background(), api, []Group{{Authorizer, "/mlflowctl/mlflow/authorizer"}}, Query{})
	if err == nil || !strings.Contains(err.Error(), "/mlflowctl/mlflow/authorizer (authorizer)") || !strings.Contains(err.Error(), "logs:FilterLogEvents") {
		t.Fatalf("err = %v", err)
	}
}
