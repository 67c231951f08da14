package awsx

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mlflowctl/mlflowctl/internal/faultproxy"
)

// behindProxy loads a configuration whose endpoint is a fault proxy in
// front of the STS stub, and collects the progress notes.
func behindProxy(t *testing.T, o Options) (*sts.Client, *faultproxy.Proxy, *notes) {
	t.Helper()
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	srv, _ := stsStub(t)
	p, err := faultproxy.Start(srv.URL, faultproxy.Options{Delay: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	n := &notes{}
	o.Region, o.EndpointURL, o.Notes = "us-east-1", p.URL, n.add
	cfg, err := Load(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return sts.NewFromConfig(cfg), p, n
}

type notes struct {
	mu    sync.Mutex
	lines []string
}

func (n *notes) add(s string) { n.mu.Lock(); defer n.mu.Unlock(); n.lines = append(n.lines, s) }
func (n *notes) text() string { n.mu.Lock(); defer n.mu.Unlock(); return strings.Join(n.lines, "\n") }

// A read whose answer is cut off mid-body (or garbled) is asked again: it
// changed nothing, so the retry is safe.
func TestCutOffAndGarbledReadsAreRetried(t *testing.T) {
	for _, k := range []faultproxy.Kind{faultproxy.CutOff, faultproxy.Garble} {
		t.Run(string(k), func(t *testing.T) {
			client, p, _ := behindProxy(t, Options{})
			p.Force(k)
			out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			if err != nil || *out.Account != "111122223333" {
				t.Fatalf("read after a %s answer: %v", k, err)
			}
			if st := p.Stats(); st.Retries != 1 {
				t.Errorf("retries %d, want 1", st.Retries)
			}
		})
	}
}

// An attempt that gets no answer within AttemptTimeout is abandoned and
// retried, so one slow call does not hold a command for minutes.
func TestSlowAttemptIsAbandonedAndRetried(t *testing.T) {
	client, p, n := behindProxy(t, Options{AttemptTimeout: 200 * time.Millisecond, SlowAfter: 100 * time.Millisecond})
	p.Force(faultproxy.Delay)
	if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Abandoned != 1 || st.Retries != 1 {
		t.Errorf("stats %+v: the slow attempt was not abandoned and retried", st)
	}
	if !strings.Contains(n.text(), "STS GetCallerIdentity") {
		t.Errorf("no note named the slow call: %q", n.text())
	}
}

// Throttling is told to the user without --verbose.
func TestThrottlingIsNoted(t *testing.T) {
	client, p, n := behindProxy(t, Options{})
	p.Force(faultproxy.Throttle, faultproxy.Throttle)
	if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(n.text(), "throttling STS GetCallerIdentity") {
		t.Errorf("notes %q", n.text())
	}
}

func TestCognitoAdminReadsCountAsReads(t *testing.T) {
	for op, want := range map[string]bool{
		"AdminGetUser": true, "AdminListGroupsForUser": true, "DescribeStacks": true, "AdminSetUserPassword": true,
		"AdminCreateUser": false, "CreateStack": false, "ExecuteChangeSet": false,
	} {
		if isRead(op) != want {
			t.Errorf("isRead(%s) = %v, want %v", op, !want, want)
		}
	}
}
