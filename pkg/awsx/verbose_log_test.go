package awsx

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Issue 22, walk-through F19: `-v` logged `SDK … DEBUG AWS settings: …
// endpoint ""` while AWS_ENDPOINT_URL sent every call elsewhere, so it
// looked as if real AWS was called; and mlflowctl's own line carried the
// SDK's prefix. Not parallel: the endpoint comes from the environment.
func TestVerboseNamesTheEndpointFromTheEnvironment(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
	var log bytes.Buffer
	if _, err := Load(context.Background(), Options{Region: "eu-central-1", Log: &log}); err != nil {
		t.Fatal(err)
	}
	line := firstLine(log.String())
	if !strings.HasPrefix(line, "AWS settings:") {
		t.Errorf("mlflowctl's own line %q should not carry the SDK's prefix", line)
	}
	if !strings.Contains(line, `"http://127.0.0.1:4566"`) || !strings.Contains(line, "AWS_ENDPOINT_URL") {
		t.Errorf("settings line %q does not name the endpoint AWS_ENDPOINT_URL gave", line)
	}
}

// Without any endpoint setting the line says AWS's own endpoints are used,
// not `endpoint ""`.
func TestVerboseSaysAWSEndpointsWhenNoneIsSet(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	var log bytes.Buffer
	if _, err := Load(context.Background(), Options{Region: "eu-central-1", Log: &log}); err != nil {
		t.Fatal(err)
	}
	if line := firstLine(log.String()); strings.Contains(line, `endpoint ""`) || !strings.Contains(line, "AWS's") {
		t.Errorf("settings line %q", line)
	}
}

// F19: an answer the caller expects ("Stack with id x does not exist",
// read as "not deployed") was logged as "request failed with unretryable
// error"; it is logged as an answer that is not retried.
func TestVerboseLogsAnUnretriedAnswerAsAnAnswer(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id x does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`))
	}))
	t.Cleanup(srv.Close)
	var log bytes.Buffer
	cfg, err := Load(context.Background(), Options{Region: "eu-central-1", EndpointURL: srv.URL, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("the stub's error did not come back")
	}
	out := log.String()
	if strings.Contains(out, "request failed") {
		t.Errorf("an answer logged as a failed request:\n%s", out)
	}
	if !strings.Contains(out, "does not exist") {
		t.Errorf("the answer is not in the log:\n%s", out)
	}
}
