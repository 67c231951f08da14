package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// These tests run against moto_server's CloudWatch Logs and CloudFormation.
// What moto 5.2.1 models: FilterLogEvents with startTime, endTime, limit
// and nextToken; filter patterns of single terms, several terms and quoted
// phrases (other patterns, e.g. JSON "{ $.status = 5* }", match every
// event in moto: they are passed to AWS untouched and not tested here);
// ResourceNotFoundException for a missing group. What it does not model:
// moto returns each stream's events in turn unless interleaved=true, where
// AWS always interleaves (the parameter is ignored since 2019-06-17, API
// reference): Read sorts every group's events itself, so both orders give
// the same timeline. Moto never returns an empty page with a token, which
// AWS may (handled by the SDK paginator, which keeps going).

func TestMain(m *testing.M) { mototest.Main(m) }

type world struct {
	cfn  *cloudformation.Client
	logs *cloudwatchlogs.Client
	base time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	srv := mototest.Start(t)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(srv.URL)
	// Within CloudWatch's window (events older than 14 days are refused
	// by AWS), on a whole second so the expectations read plainly.
	base := time.Now().Add(-time.Hour).Truncate(time.Second).UTC()
	return &world{cfn: cloudformation.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg), base: base}
}

// stack creates a stack tagged as deployment whose template creates the
// log groups and outputs their names: key → group name. A key with an
// empty group name is output with a made-up name and no group (a group
// deleted by hand, or not there yet).
func (w *world) stack(t *testing.T, name, deployment string, groups map[string]string) {
	t.Helper()
	var res, outs strings.Builder
	i := 0
	for _, key := range slices.Sorted(mapKeys(groups)) {
		g := groups[key]
		if g == "" {
			fmt.Fprintf(&outs, "  %s: {Value: /mlflowctl/%s/never-created}\n", key, deployment)
			continue
		}
		fmt.Fprintf(&res, "  G%d:\n    Type: AWS::Logs::LogGroup\n    Properties: {LogGroupName: %q}\n", i, g)
		fmt.Fprintf(&outs, "  %s: {Value: !Ref G%d}\n", key, i)
		i++
	}
	if i == 0 {
		res.WriteString("  G0:\n    Type: AWS::Logs::LogGroup\n    Properties: {LogGroupName: /unrelated/" + name + "}\n")
	}
	body := "Resources:\n" + res.String() + "Outputs:\n" + outs.String()
	_, err := w.cfn.CreateStack(context.Background(), &cloudformation.CreateStackInput{
		StackName:    aws.String(name),
		TemplateBody: aws.String(body),
		Tags:         []cftypes.Tag{{Key: aws.String(deploy.TagDeployment), Value: aws.String(deployment)}, {Key: aws.String(deploy.TagStack), Value: aws.String(name)}},
	})
	if err != nil {
		t.Fatalf("create stack %s: %v\n%s", name, err, body)
	}
}

// put writes events to a stream, creating it; at is seconds after base.
func (w *world) put(t *testing.T, group, stream string, lines ...line) {
	t.Helper()
	ctx := context.Background()
	_, err := w.logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	var exists *cwtypes.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		t.Fatal(err)
	}
	var evs []cwtypes.InputLogEvent
	for _, l := range lines {
		evs = append(evs, cwtypes.InputLogEvent{Timestamp: aws.Int64(w.base.Add(l.at).UnixMilli()), Message: aws.String(l.msg)})
	}
	if _, err := w.logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: evs}); err != nil {
		t.Fatal(err)
	}
}

type line struct {
	at  time.Duration
	msg string
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// counting counts FilterLogEvents calls, to see pagination happen.
type counting struct {
	LogsAPI
	calls atomic.Int32
}

func (c *counting) FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	c.calls.Add(1)
	return c.LogsAPI.FilterLogEvents(ctx, in, opts...)
}

const (
	serverGroup = "/mlflowctl/mlflow/mlflow-server"
	authGroup   = "/mlflowctl/mlflow/authorizer"
	accessGroup = "/mlflowctl/mlflow/api-access"
	task1       = "0123456789abcdef0123456789abcdef"
	task2       = "fedcba9876543210fedcba9876543210"
	reqLambda   = "11111111-2222-3333-4444-555555555555"
	reqAPI      = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

// deployment is the default deployment "mlflow" split over two stacks
// (outputs are looked up in every stack of the deployment, whatever their
// names), its api execution group missing, and another deployment whose
// outputs must not be read.
func (w *world) deployment(t *testing.T) {
	w.stack(t, "mlflow-server", "mlflow", map[string]string{"ServerLogGroupName": serverGroup})
	w.stack(t, "mlflow-api", "mlflow", map[string]string{
		"AuthorizerLogGroupName":   authGroup,
		"ApiAccessLogGroupName":    accessGroup,
		"ApiExecutionLogGroupName": "",
	})
	// Named to sort first: outputs of a stack of another deployment must
	// be skipped, not merely shadowed.
	w.stack(t, "a-other-server", "other", map[string]string{"ServerLogGroupName": "/mlflowctl/other/mlflow-server"})
	w.put(t, "/mlflowctl/other/mlflow-server", "mlflow-server/mlflow-server/"+task1, line{30 * time.Second, "OTHER DEPLOYMENT"})

	w.put(t, serverGroup, "mlflow-server/mlflow-server/"+task1,
		line{10 * time.Second, "[INFO] Starting gunicorn"},
		line{40 * time.Second, "ERROR Traceback (most recent call last):\n  File x\nValueError: boom"})
	w.put(t, serverGroup, "mlflow-server/mlflow-server/"+task2,
		line{20 * time.Second, "[INFO] Listening at: http://0.0.0.0:5000"})
	w.put(t, authGroup, "2026/12/04/mlflow-mlflow-authorizer[$LATEST]abc",
		line{15 * time.Second, `{"time":"x","type":"platform.start","record":{"requestId":"` + reqLambda + `","version":"$LATEST"}}`},
		line{16 * time.Second, `{"timestamp":"x","level":"WARN","requestId":"` + reqLambda + `","message":"ERROR token expired"}`})
	w.put(t, accessGroup, "0a1b2c3d4e5f",
		line{17 * time.Second, `{"requestId":"` + reqAPI + `","httpMethod":"GET","status":"401"}`})
}

func TestFindReadsEveryStackOfTheDeployment(t *testing.T) {
	w := newWorld(t)
	w.deployment(t)
	groups, absent, err := Find(context.Background(), w.cfn, "mlflow", Components)
	if err != nil {
		t.Fatal(err)
	}
	want := []Group{{Server, serverGroup}, {Authorizer, authGroup}, {API, accessGroup}, {API, "/mlflowctl/mlflow/never-created"}}
	if !slices.Equal(groups, want) {
		t.Errorf("groups:\n got %v\nwant %v", groups, want)
	}
	if len(absent) != 1 || absent[0].Component != Gateway {
		t.Errorf("absent = %v, want the gateway only", absent)
	}
}

func TestFindWithoutADeploymentSaysUpFirst(t *testing.T) {
	w := newWorld(t)
	w.stack(t, "other-server", "other", map[string]string{"ServerLogGroupName": "/mlflowctl/other/mlflow-server"})
	_, _, err := Find(context.Background(), w.cfn, "mlflow", Components)
	var nd *NotDeployedError
	if !errors.As(err, &nd) || !strings.Contains(err.Error(), "mlflowctl up") {
		t.Fatalf("err = %v, want NotDeployedError naming `mlflowctl up`", err)
	}
}

func TestReadInterleavesComponentsByTimeWithIDs(t *testing.T) {
	w := newWorld(t)
	w.deployment(t)
	groups, _, err := Find(context.Background(), w.cfn, "mlflow", Components)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Read(context.Background(), w.logs, groups, Query{Start: w.base})
	if err != nil {
		t.Fatal(err)
	}
	got := summary(r.Events, w.base)
	want := []string{
		"10s server " + task1,
		"15s authorizer " + reqLambda,
		"16s authorizer " + reqLambda,
		"17s api " + reqAPI,
		"20s server " + task2,
		"40s server " + task1,
	}
	if !slices.Equal(got, want) {
		t.Errorf("timeline:\n got %q\nwant %q", got, want)
	}
	if len(r.Missing) != 1 || r.Missing[0].Name != "/mlflowctl/mlflow/never-created" || r.Missing[0].Component != API {
		t.Errorf("missing = %v, want the api execution group", r.Missing)
	}
}

func TestReadSinceCutsOffOlderEvents(t *testing.T) {
	w := newWorld(t)
	w.deployment(t)
	groups := []Group{{Server, serverGroup}, {Authorizer, authGroup}}
	r, err := Read(context.Background(), w.logs, groups, Query{Start: w.base.Add(16 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	// startTime is inclusive: the event at exactly 16 s is in.
	want := []string{"16s authorizer " + reqLambda, "20s server " + task2, "40s server " + task1}
	if got := summary(r.Events, w.base); !slices.Equal(got, want) {
		t.Errorf("since 16s:\n got %q\nwant %q", got, want)
	}
}

func TestReadPassesTheFilterPattern(t *testing.T) {
	w := newWorld(t)
	w.deployment(t)
	groups, _, err := Find(context.Background(), w.cfn, "mlflow", Components)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Read(context.Background(), w.logs, groups, Query{Start: w.base, Pattern: "ERROR"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"16s authorizer " + reqLambda, "40s server " + task1}
	if got := summary(r.Events, w.base); !slices.Equal(got, want) {
		t.Errorf("filter ERROR:\n got %q\nwant %q", got, want)
	}
}

func TestReadFollowsNextTokenOverPages(t *testing.T) {
	w := newWorld(t)
	w.deployment(t)
	var more []line
	for i := range 7 {
		more = append(more, line{time.Duration(50+i) * time.Second, fmt.Sprintf("request %d", i)})
	}
	w.put(t, serverGroup, "mlflow-server/mlflow-server/"+task2, more...)
	api := &counting{LogsAPI: w.logs}
	r, err := Read(context.Background(), api, []Group{{Server, serverGroup}}, Query{Start: w.base, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Events) != 10 {
		t.Fatalf("read %d events over pages of 2, want all 10", len(r.Events))
	}
	if n := api.calls.Load(); n < 5 {
		t.Errorf("%d FilterLogEvents calls for 10 events in pages of 2: nextToken not followed", n)
	}
	for i := 1; i < len(r.Events); i++ {
		if r.Events[i].Time.Before(r.Events[i-1].Time) {
			t.Errorf("event %d at %s before event %d at %s", i, r.Events[i].Time, i-1, r.Events[i-1].Time)
		}
	}
}

func TestReadTellsAMissingGroupAndReadsTheOthers(t *testing.T) {
	w := newWorld(t)
	w.deployment(t)
	groups := []Group{{Authorizer, "/mlflowctl/mlflow/gone"}, {Server, serverGroup}}
	r, err := Read(context.Background(), w.logs, groups, Query{Start: w.base})
	if err != nil {
		t.Fatalf("a missing group failed the read: %v", err)
	}
	if len(r.Missing) != 1 || r.Missing[0].Component != Authorizer {
		t.Errorf("missing = %v", r.Missing)
	}
	if len(r.Events) != 3 {
		t.Errorf("read %d server events, want 3", len(r.Events))
	}
}

func TestJSONIsOneObjectPerLine(t *testing.T) {
	w := newWorld(t)
	w.deployment(t)
	r, err := Read(context.Background(), w.logs, []Group{{Server, serverGroup}}, Query{Start: w.base})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteJSON(&b, r.Events); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines for 3 events:\n%s", len(lines), b.String())
	}
	for i, l := range lines {
		var e struct {
			Time      time.Time `json:"time"`
			Component string    `json:"component"`
			ID        string    `json:"id"`
			Message   string    `json:"message"`
			Group     string    `json:"logGroup"`
			Stream    string    `json:"logStream"`
			EventID   string    `json:"eventId"`
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %d is not one JSON object: %v\n%s", i, err, l)
		}
		if e.Component != "server" || e.ID == "" || e.Group != serverGroup || e.Stream == "" || e.EventID == "" || !e.Time.Equal(r.Events[i].Time) {
			t.Errorf("line %d: %+v", i, e)
		}
	}
}

// summary is "<seconds after base> <component> <id>" per event.
func summary(evs []Event, base time.Time) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = fmt.Sprintf("%s %s %s", e.Time.Sub(base), e.Component, e.ID)
	}
	return out
}
