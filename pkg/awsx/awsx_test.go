package awsx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func isolate(t *testing.T) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// stsStub answers GetCallerIdentity like STS's query protocol and records
// the user agent it was called with.
func stsStub(t *testing.T) (*httptest.Server, func() string) {
	var mu sync.Mutex
	var agent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agent = r.Header.Get("User-Agent")
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/dev</Arn><UserId>AIDEXAMPLE</UserId><Account>111122223333</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() string { mu.Lock(); defer mu.Unlock(); return agent }
}

func TestLoadUsesEndpointRegionAndUserAgent(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	srv, agent := stsStub(t)
	cfg, err := Load(context.Background(), Options{Region: "eu-central-1", EndpointURL: srv.URL, Version: "1.4.0"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := CallerIdentity(context.Background(), sts.NewFromConfig(cfg), cfg.Region)
	if err != nil {
		t.Fatal(err)
	}
	if id.Account != "111122223333" || id.Region != "eu-central-1" {
		t.Fatalf("identity %+v", id)
	}
	if !strings.Contains(agent(), "mlflowctl/1.4.0") {
		t.Fatalf("user agent %q lacks mlflowctl/1.4.0", agent())
	}
}

func TestLoadSetupErrors(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		setup  func(t *testing.T)
		expect string
	}{
		{"no region", Options{}, func(*testing.T) {}, "no AWS region"},
		{"no credentials", Options{Region: "us-east-1"}, func(*testing.T) {}, "no AWS credentials"},
		{"unknown profile", Options{Profile: "nope", Region: "us-east-1"}, func(*testing.T) {}, "--profile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t)
			tc.setup(t)
			_, err := Load(context.Background(), tc.opts)
			var setup *SetupError
			if !errors.As(err, &setup) || setup.ExitCode() != 2 || !strings.Contains(err.Error(), tc.expect) {
				t.Fatalf("want a SetupError about %q, got %v", tc.expect, err)
			}
		})
	}
}

// With Log set (--verbose) the settings and each retried call are logged,
// and no credential ever is.
func TestVerboseLogsSettingsAndRetries(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-value")
	t.Setenv("AWS_SESSION_TOKEN", "session-token-value")
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/x</Arn><Account>111122223333</Account><UserId>U</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>`))
	}))
	t.Cleanup(srv.Close)
	var log strings.Builder
	cfg, err := Load(context.Background(), Options{Region: "eu-west-1", EndpointURL: srv.URL, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CallerIdentity(context.Background(), sts.NewFromConfig(cfg), cfg.Region); err != nil {
		t.Fatal(err)
	}
	out := log.String()
	if !strings.Contains(out, `region "eu-west-1"`) || !strings.Contains(strings.ToLower(out), "retry") {
		t.Fatalf("verbose log lacks the settings or the retry:\n%s", out)
	}
	for _, secret := range []string{"secret-value", "session-token-value"} {
		if strings.Contains(out, secret) {
			t.Fatalf("verbose log shows a credential:\n%s", out)
		}
	}
}

// TestNoSDKLogReachesStderr (issue 22 item 13, walk-through F18): with no
// credentials the chain reaches the instance metadata service; the SDK's
// IMDS client logs "WARN falling back to IMDSv1" (feature/ec2/imds
// token_provider.go, on a 403/404/405 to the token PUT) through its
// default logger, which writes to os.Stderr: through the wizard's screen.
// Here a local server stands in for IMDS (it models only the token PUT's
// 404 and a 404 for the role); Load must fail with its own SetupError and
// write nothing to stderr.
func TestNoSDKLogReachesStderr(t *testing.T) {
	isolate(t)
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(imds.Close)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = stderr
	_, loadErr := Load(context.Background(), Options{Region: "us-east-1"})
	os.Stderr = saved
	written, err := os.ReadFile(stderr.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 0 {
		t.Errorf("the SDK wrote to stderr:\n%s", written)
	}
	var setup *SetupError
	if !errors.As(loadErr, &setup) || setup.Problem != "no AWS credentials found" {
		t.Errorf("want the no-credentials SetupError, got %v", loadErr)
	}
	// --verbose still gets the SDK's lines, in its own writer.
	var log strings.Builder
	_, _ = Load(context.Background(), Options{Region: "us-east-1", Log: &log})
	if !strings.Contains(log.String(), "falling back to IMDSv1") {
		t.Errorf("--verbose lost the SDK's warning:\n%s", log.String())
	}
}

// TestLoadRefusesChinaAndGovCloudFromTheEnvironment (issue 22 item 13):
// --region and region: are checked with the configuration, but a region
// from AWS_REGION or the profile reached the templates, which are written
// for the aws partition (arn:aws:..., amazonaws.com; China is
// arn:aws-cn and amazonaws.com.cn, per the AWS General Reference's "ARN
// format" and the China regions' endpoint pages). Refused before any
// call, as a setup problem (exit 2).
func TestLoadRefusesChinaAndGovCloudFromTheEnvironment(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls++ }))
	t.Cleanup(srv.Close)
	for _, region := range []string{"cn-north-1", "cn-northwest-1", "us-gov-west-1"} {
		t.Setenv("AWS_REGION", region)
		_, err := Load(context.Background(), Options{EndpointURL: srv.URL})
		var setup *SetupError
		if !errors.As(err, &setup) || setup.ExitCode() != 2 || !strings.Contains(err.Error(), "partition") || !strings.Contains(err.Error(), "--region") {
			t.Errorf("AWS_REGION=%s: %v", region, err)
		}
	}
	if calls != 0 {
		t.Errorf("%d calls to AWS", calls)
	}
}
