package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/build"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

// ctrlCWhenAsked stands for a terminal on which the user presses Ctrl-C
// as soon as a prompt waits: the first Read cancels ctx (what the signal
// does) and then blocks, as a terminal nobody types into does.
type ctrlCWhenAsked struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	asked  bool
}

func (c *ctrlCWhenAsked) Read([]byte) (int, error) {
	c.mu.Lock()
	c.asked = true
	c.mu.Unlock()
	c.cancel()
	<-c.ctx.Done()
	return 0, io.EOF
}

// Issue 22 item 2: Ctrl-C at up's "Deploy …? [y/N]" printed "Interrupted:
// stopping what was started" though nothing had started, and the prompt
// went on waiting; Enter then exited 0. It must end at once, exit 130,
// say "Nothing changed." and change nothing.
func TestUpCtrlCAtTheConfirmationEndsAtOnce(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		fake, puts := cfnfake.New(), &putRecorder{}
		env := withFakeAWS(t, fake, puts)
		started := false
		env.interrupts = func(ctx context.Context, _ io.Writer) (context.Context, <-chan struct{}, func()) {
			started = true
			return ctx, nil, func() {}
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		in := &ctrlCWhenAsked{ctx: ctx, cancel: cancel}
		var out, errOut bytes.Buffer
		err := execute(ctx, BuildInfo{Version: "1.2.3"}, []string{"up", "--region", "us-east-1"}, IO{In: in, Out: &out, Err: &errOut}, inTest(t, env))
		var coded interface{ ExitCode() int }
		if !errors.As(err, &coded) || coded.ExitCode() != 130 {
			t.Fatalf("err=%v, want exit 130\n%s", err, errOut.String())
		}
		if !in.asked || !strings.Contains(errOut.String(), "Nothing changed.") || strings.Contains(errOut.String(), "stopping what was started") {
			t.Fatalf("asked=%v stderr:\n%s", in.asked, errOut.String())
		}
		if started {
			t.Error("the deploy's interrupt handling started before the user said yes")
		}
		if st := fake.Status("mlflow-bootstrap"); st != "" {
			t.Errorf("bootstrap stack is %s after Ctrl-C at the confirmation", st)
		}
		if len(puts.keys) != 0 {
			t.Errorf("uploads after Ctrl-C: %v", puts.keys)
		}
	})
}

// Issue 22 item 4: `up --yes` created the bootstrap stack, then a usage
// error raised inside a deploy hook (pkg/build: "the bootstrap stack has no
// CodeBuildProjectName output") left as exit 2, which promises that nothing
// changed. After a change every error is exit 1 with the real cause.
func TestUpErrorAfterAChangeIsExit1(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		fake, puts := cfnfake.New(), &putRecorder{}
		env := withFakeAWS(t, fake, puts)
		inner := env.upSteps
		env.upSteps = func() app.UpSteps {
			s := inner()
			s.BuildImages = func(context.Context, deploy.Outputs, func(string)) (map[string]string, error) {
				return nil, &build.UsageError{Msg: "builder codebuild: the bootstrap stack has no CodeBuildProjectName output"}
			}
			return s
		}
		_, errOut, err := runEnv(t, env, "", "up", "--yes", "--region", "us-east-1")
		var coded interface{ ExitCode() int }
		if !errors.As(err, &coded) || coded.ExitCode() != 1 {
			t.Fatalf("err=%v, want exit 1\n%s", err, errOut)
		}
		if !strings.Contains(err.Error(), "no CodeBuildProjectName output") || !strings.Contains(err.Error(), "already changed AWS") {
			t.Fatalf("the cause is lost: %v", err)
		}
		if st := fake.Status("mlflow-bootstrap"); st != "CREATE_COMPLETE" {
			t.Fatalf("the test needs a change before the error; bootstrap is %q", st)
		}
	})
}

// The other half of the contract: bad input is still exit 2, and then
// nothing changed, for every command that changes AWS.
func TestBadInputIsExit2BeforeAnyChange(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		fake, puts := cfnfake.New(), &putRecorder{}
		env := withFakeAWS(t, fake, puts)
		for _, args := range [][]string{
			{"up", "--name", "Bad_Name", "--yes"},
			{"down", "--name", "Bad_Name", "--yes"},
			{"users", "add", "not-an-address", "--group", "admins"},
			{"users", "remove", "not-an-address", "--yes"},
			{"users", "set-groups", "ada@example.com"},
			{"push-container", "--builder", "podman"},
			{"ui", "deploy", "--name", "Bad_Name"},
			{"up", "--no-such-flag"},
		} {
			_, errOut, err := runEnv(t, env, "", args...)
			var coded interface{ ExitCode() int }
			if !errors.As(err, &coded) || coded.ExitCode() != 2 {
				t.Errorf("%v: err=%v, want exit 2\n%s", args, err, errOut)
			}
		}
		if m := fake.Mutations(); len(m) != 0 {
			t.Errorf("bad input changed CloudFormation: %v", m)
		}
	})
}

// Issue 22 item 8: `up -o json` wrote NDJSON events before its result;
// every command writes one document. --events asks for the events, as
// JSON lines on stderr.
func TestUpJSONIsOneDocumentEventsOnRequest(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		env := withFakeAWS(t, cfnfake.New(), &putRecorder{})
		out, errOut, err := runEnv(t, env, "", "up", "--yes", "--region", "us-east-1", "-o", "json", "--events")
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		dec := json.NewDecoder(strings.NewReader(out))
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil || doc["deployment"] != "mlflow" {
			t.Fatalf("stdout: %v\n%s", err, out)
		}
		if dec.More() {
			t.Fatalf("stdout holds more than one document:\n%s", out)
		}
		events := 0
		for _, line := range strings.Split(errOut, "\n") {
			var ev map[string]any
			if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &ev) == nil {
				events++
			}
		}
		if events == 0 {
			t.Fatalf("--events wrote no JSON lines on stderr:\n%s", errOut)
		}
	})
}

// Issue 22 item 7: `up --dry-run` ignored AWS_REGION, AWS_DEFAULT_REGION
// and the profile's region (the header said <region>, the cost us-east-1).
func TestDryRunTakesTheSDKRegion(t *testing.T) {
	t.Parallel()
	cfgFile := t.TempDir() + "/config"
	if err := os.WriteFile(cfgFile, []byte("[profile lab]\nregion = ap-southeast-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"AWS_REGION": "eu-west-1"}, nil, "eu-west-1"},
		{map[string]string{"AWS_DEFAULT_REGION": "eu-central-1"}, nil, "eu-central-1"},
		{map[string]string{"AWS_CONFIG_FILE": cfgFile}, []string{"--profile", "lab"}, "ap-southeast-2"},
	} {
		noAWSEnv(t)
		newDir(t)
		for k, v := range tc.env {
			setVar(t, k, v)
		}
		out, errOut, err := runIn(t, "", append([]string{"up", "--dry-run", "-o", "json"}, tc.args...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		var rep struct {
			Region string `json:"region"`
			Cost   struct {
				Region string `json:"region"`
			} `json:"idleCost"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Region != tc.want || rep.Cost.Region != tc.want {
			t.Errorf("%v %v: region %q, cost region %q, want %s (%v)", tc.env, tc.args, rep.Region, rep.Cost.Region, tc.want, err)
		}
	}
}
