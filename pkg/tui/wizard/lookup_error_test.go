package wizard

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/mlflowctl/mlflowctl/pkg/awslookup"
)

// regionsErr is the real SDK error of the wizard's region look-up
// (awslookup.Regions: EC2 DescribeRegions) against endpoint, with one
// attempt.
func regionsErr(t *testing.T, endpoint string) error {
	t.Helper()
	c := ec2.NewFromConfig(aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := awslookup.Regions(ctx, c)
	if err == nil {
		t.Fatal("the look-up succeeded")
	}
	return err
}

// TestLookupNoteSaysWhyInItsOwnWords (issue 22 item 13, walk-through F18):
// a failed region look-up read "Could not list the account's regions
// (operation error EC2: DescribeRegions, https response error StatusCode:
// 0, RequestID: , ...)". The note names the cause: AWS's own error code and
// message, or that AWS could not be reached and why.
func TestLookupNoteSaysWhyInItsOwnWords(t *testing.T) {
	// EC2's query-protocol error body, as DescribeRegions answers a
	// principal without ec2:DescribeRegions (403 UnauthorizedOperation).
	denied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>r-1</RequestID></Response>`))
	}))
	t.Cleanup(denied.Close)
	// a port nothing listens on: the request cannot be sent
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	_ = l.Close()

	for _, c := range []struct {
		endpoint, want string
	}{
		{denied.URL, "(AWS answered UnauthorizedOperation: You are not authorized to perform this operation.)"},
		{closed, "(cannot reach AWS: dial tcp " + l.Addr().String() + ": connect: connection refused)"},
	} {
		s := newState(Options{Lookup: failingLookup(), NoColor: true})
		s.regionsErr = regionsErr(t, c.endpoint)
		note := strings.Join(strings.Fields(s.lookupNote(stepRegion)), " ")
		if !strings.Contains(note, c.want) {
			t.Errorf("note %q, want it to contain %q", note, c.want)
		}
		for _, raw := range []string{"operation error", "StatusCode", "RequestID"} {
			if strings.Contains(note, raw) {
				t.Errorf("note %q shows the SDK's %q", note, raw)
			}
		}
	}
}
