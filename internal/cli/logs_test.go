package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/logs"
)

// TestLogsBadInputIsExit2BeforeAnyAWSCall: a wrong component, --since or
// --filter is exit 2 naming the flag and the fix, and no request leaves.
func TestLogsBadInputIsExit2BeforeAnyAWSCall(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	setVar(t, "AWS_ACCESS_KEY_ID", "testing")
	setVar(t, "AWS_SECRET_ACCESS_KEY", "testing")
	setVar(t, "AWS_REGION", "us-east-1")
	cases := map[string]struct {
		args []string
		want []string
	}{
		"component":    {[]string{"logs", "servr"}, []string{`"servr" is not a component`, "server, gateway, authorizer, api"}},
		"since":        {[]string{"logs", "--since", "5x"}, []string{"--since", "30m, 2h, 1d"}},
		"since future": {[]string{"logs", "--since", "2999-01-01T00:00:00Z"}, []string{"--since", "in the future"}},
		"filter":       {[]string{"logs", "--filter", strings.Repeat("a", 1025)}, []string{"--filter", "at most 1024"}},
	}
	for name, c := range cases {
		_, _, err := runCLI(t, append(c.args, "--endpoint-url", srv.URL)...)
		if exitCode(err) != 2 {
			t.Errorf("%s: exit %d (%v), want 2", name, exitCode(err), err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", name, err, w)
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d AWS requests before the input was checked", n)
	}
}

func TestLogsWithoutADeploymentSaysUpFirst(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	_, _, err := runCLI(t, "logs", "--endpoint-url", srv.URL)
	// exit 2, as verify, ui deploy, users and backup (issue 22: one code for "not deployed")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "run `mlflowctl up` first") {
		t.Fatalf("exit %d: %v, want 2 saying `mlflowctl up` first", exitCode(err), err)
	}
}

// logsWorld is a deployment "mlflow" in moto: a server stack with the
// server's log group, an api stack with the authorizer's and the access
// log group and an execution group named but not created.
func logsWorld(t *testing.T) (endpoint string, base time.Time) {
	t.Helper()
	srv := startMoto(t)
	ctx := context.Background()
	cfg := srv.AWSConfig()
	cfn, cw := cloudformation.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg)
	tags := func(id string) []cftypes.Tag {
		return []cftypes.Tag{{Key: aws.String(deploy.TagDeployment), Value: aws.String("mlflow")}, {Key: aws.String(deploy.TagStack), Value: aws.String(id)}}
	}
	for name, body := range map[string]string{
		"mlflow-server": "Resources:\n  S:\n    Type: AWS::Logs::LogGroup\n    Properties: {LogGroupName: /mlflowctl/mlflow/mlflow-server}\n" +
			"Outputs:\n  ServerLogGroupName: {Value: !Ref S}\n",
		"mlflow-api": "Resources:\n  A:\n    Type: AWS::Logs::LogGroup\n    Properties: {LogGroupName: /mlflowctl/mlflow/authorizer}\n" +
			"  P:\n    Type: AWS::Logs::LogGroup\n    Properties: {LogGroupName: /mlflowctl/mlflow/api-access}\n" +
			"Outputs:\n  AuthorizerLogGroupName: {Value: !Ref A}\n  ApiAccessLogGroupName: {Value: !Ref P}\n" +
			"  ApiExecutionLogGroupName: {Value: API-Gateway-Execution-Logs_abc/prod}\n",
	} {
		if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(body), Tags: tags(strings.TrimPrefix(name, "mlflow-"))}); err != nil {
			t.Fatal(err)
		}
	}
	base = time.Now().Add(-5 * time.Minute).Truncate(time.Second)
	put := func(group, stream string, at time.Duration, msg string) {
		_, _ = cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
		if _, err := cw.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
			LogEvents: []cwtypes.InputLogEvent{{Timestamp: aws.Int64(base.Add(at).UnixMilli()), Message: aws.String(msg)}}}); err != nil {
			t.Fatal(err)
		}
	}
	put("/mlflowctl/mlflow/mlflow-server", "mlflow-server/mlflow-server/task0", -15*time.Minute, "before --since")
	put("/mlflowctl/mlflow/mlflow-server", "mlflow-server/mlflow-server/task1", 1*time.Second, "server up")
	put("/mlflowctl/mlflow/authorizer", "2026/12/04/[$LATEST]x", 2*time.Second, `{"level":"INFO","requestId":"11111111-2222-3333-4444-555555555555","message":"allow"}`)
	put("/mlflowctl/mlflow/api-access", "s", 3*time.Second, `{"requestId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","status":"200"}`)
	put("/mlflowctl/mlflow/mlflow-server", "mlflow-server/mlflow-server/task2", 4*time.Second, "ERROR server down")
	return srv.URL, base
}

func TestLogsAgainstMoto(t *testing.T) {
	t.Parallel()
	endpoint, _ := logsWorld(t)
	out, errOut, err := runCLI(t, "logs", "--endpoint-url", endpoint)
	if err != nil {
		t.Fatalf("logs: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := [][]string{
		{"server", "task1", "server up"},
		{"authorizer", "11111111-2222-3333-4444-555555555555", "allow"},
		{"api", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", `"status":"200"`},
		{"server", "task2", "ERROR server down"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d (the event before --since 10m left out):\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		for _, part := range w {
			if !strings.Contains(lines[i], part) {
				t.Errorf("line %d %q lacks %q", i, lines[i], part)
			}
		}
	}
	if !strings.Contains(errOut, "api has no logs yet") || !strings.Contains(errOut, "API-Gateway-Execution-Logs_abc/prod") {
		t.Errorf("stderr does not tell the missing execution group:\n%s", errOut)
	}
	if strings.Contains(errOut, "gateway") {
		t.Errorf("stderr mentions the gateway nobody asked for:\n%s", errOut)
	}

	out, _, err = runCLI(t, "logs", "server", "--filter", "ERROR", "--since", "1h", "-o", "json", "--endpoint-url", endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var e logs.Event
	if strings.Count(out, "\n") != 1 || json.Unmarshal([]byte(out), &e) != nil || e.Message != "ERROR server down" || e.ID != "task2" || e.Component != logs.Server {
		t.Errorf("logs server --filter ERROR -o json: want one NDJSON line, got:\n%s", out)
	}

	_, errOut, err = runCLI(t, "logs", "gateway", "--endpoint-url", endpoint)
	if exitCode(err) != 1 || !strings.Contains(errOut, "logs server") {
		t.Errorf("logs gateway without a gateway: exit %d %v\n%s", exitCode(err), err, errOut)
	}
}

// TestLogsFollowStopsOnCtrlCWithExit130: Ctrl-C (the context cancelled,
// as main's signal.NotifyContext does) ends --follow with exit 130 and an
// error main does not print, so no "context canceled" line.
func TestLogsFollowStopsOnCtrlCWithExit130(t *testing.T) {
	t.Parallel()
	endpoint, _ := logsWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	env := environment{logsFollow: func(f *logs.Follower) {
		f.Sleep = func(ctx context.Context, _ time.Duration) error {
			polls++
			if polls == 2 {
				cancel()
			}
			return ctx.Err()
		}
	}}
	newDir(t)
	var out, errOut bytes.Buffer
	err := execute(ctx, BuildInfo{Version: "1.2.3"}, []string{"logs", "--follow", "--endpoint-url", endpoint}, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, inTest(t, env))
	if exitCode(err) != 130 || !silent(err) {
		t.Fatalf("exit %d, silent %v (%v), want 130 and nothing printed", exitCode(err), silent(err), err)
	}
	if strings.Count(out.String(), "\n") != 4 || strings.Count(errOut.String(), "has no logs yet") != 1 {
		t.Errorf("follow printed:\n%s\nstderr:\n%s", out.String(), errOut.String())
	}
	if strings.Contains(errOut.String(), "context canceled") {
		t.Errorf("stderr says context canceled:\n%s", errOut.String())
	}
}
