package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/teardown"
	"github.com/mlflowctl/mlflowctl/pkg/teardown/teardowntest"
)

// `down` runs over a deployment built by teardowntest: S3, ECR, RDS, EC2,
// EFS, Logs and the tagging API in moto_server; the SageMaker Studio API
// (profiles, spaces, apps, which moto lacks) in sagemakerfake; and
// CloudFormation in teardowntest's in-memory fake, whose stacks own those
// resources. Studio waits run on the fake's clock.
func downOverWorld(t *testing.T, o teardowntest.Options) (*teardowntest.World, string, environment) {
	t.Helper()
	srv := startMoto(t)
	w := teardowntest.New(t, srv.URL, "mlflow", o)
	env := environment{newTeardown: func(_ context.Context, _ *awsx.Clients, name string, opts teardown.Options) *teardown.Teardown {
		td := w.Teardown(opts)
		td.Name = name
		return td
	}}
	return w, srv.URL, env
}

func runDown(t *testing.T, env environment, in io.Reader, args ...string) (string, string, error) {
	t.Helper()
	newDir(t)
	var out, errOut bytes.Buffer
	err := execute(context.Background(), BuildInfo{Version: "1.2.3"}, append([]string{"down"}, args...),
		IO{In: in, Out: &out, Err: &errOut}, inTest(t, env))
	return out.String(), errOut.String(), err
}

func TestDownOverFakesThreeProfilesWithApps(t *testing.T) {
	t.Parallel()
	w, url, env := downOverWorld(t, teardowntest.Options{ArtifactObjects: 30})
	out, progress, err := runDown(t, env, strings.NewReader(""), "--yes", "--endpoint-url", url)
	t.Logf("stdout:\n%s\nstderr:\n%s", out, progress)
	if err != nil {
		t.Fatalf("exit %d: %v", exitCode(err), err)
	}
	for _, want := range []string{`mlflowctl down will delete deployment "mlflow"`, "3 user profiles", "7 apps",
		"mlflow-artifacts-3c4d (stack server): 36 objects", "mlflow-server (stack bootstrap): 2 images",
		`Deployment "mlflow" is deleted; the leftover scan found nothing.`} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if !strings.Contains(progress, "studio: all 7 apps deleted") || !strings.Contains(progress, "leftover scan: nothing of deployment mlflow is left") {
		t.Errorf("progress lacks the Studio and leftover-scan lines")
	}
	if names := w.CFN.Names(); len(names) != 0 {
		t.Fatalf("stacks left: %v", names)
	}
	again, _, err := runDown(t, env, strings.NewReader(""), "--endpoint-url", url)
	if err != nil || !strings.Contains(again, "Nothing to delete") {
		t.Fatalf("a second down: %v\n%s", err, again)
	}
}

func TestDownWithoutTerminalNeedsYes(t *testing.T) {
	t.Parallel()
	w, url, env := downOverWorld(t, teardowntest.Options{})
	out, _, err := runDown(t, env, strings.NewReader(""), "--endpoint-url", url)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("want exit 2 asking for --yes, got %d: %v", exitCode(err), err)
	}
	if !strings.Contains(out, "mlflowctl down will delete") {
		t.Fatalf("the plan was not shown:\n%s", out)
	}
	if len(w.CFN.Deletes()) != 0 || w.SM.AppStatus(w.DomainID, "default") != "InService" || w.SM.Calls("DeleteApp") != 0 {
		t.Fatal("something was deleted without confirmation")
	}
}

func TestDownAsksOnATerminal(t *testing.T) {
	t.Parallel()
	w, url, env := downOverWorld(t, teardowntest.Options{})
	no := &fakeTerminal{answers: []string{"n"}}
	_, stderr, err := runDown(t, env, no, "--endpoint-url", url)
	if err != nil || !strings.Contains(stderr, "Nothing deleted") || len(w.CFN.Deletes()) != 0 {
		t.Fatalf("answer no: %v, deletes %v\n%s", err, w.CFN.Deletes(), stderr)
	}
	if len(no.prompts) != 1 || !strings.Contains(no.prompts[0], `Delete deployment "mlflow"`) {
		t.Fatalf("prompts %v", no.prompts)
	}
	if _, _, err := runDown(t, env, &fakeTerminal{answers: []string{"y"}}, "--endpoint-url", url); err != nil {
		t.Fatal(err)
	}
	if names := w.CFN.Names(); len(names) != 0 {
		t.Fatalf("stacks left after yes: %v", names)
	}
}

func TestDownKeepDataListsWhatItKept(t *testing.T) {
	t.Parallel()
	w, url, env := downOverWorld(t, teardowntest.Options{})
	out, _, err := runDown(t, env, strings.NewReader(""), "--yes", "--keep-data", "--endpoint-url", url)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Kept:", "bucket " + w.ArtifactBucket, "db-snapshot " + w.DBCluster + "-final-snapshot",
		"the leftover scan found nothing but what is kept"} {
		if !strings.Contains(out, want) {
			t.Fatalf("stdout lacks %q:\n%s", want, out)
		}
	}
}

func TestDownReportsLeftoversWithExit1(t *testing.T) {
	t.Parallel()
	_, url, env := downOverWorld(t, teardowntest.Options{})
	c := sns.New(sns.Options{Region: mototest.Region, BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	topic, err := c.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String("mlflow-alarms"),
		Tags: []snstypes.Tag{{Key: aws.String(teardown.TagDeployment), Value: aws.String("mlflow")}}})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runDown(t, env, strings.NewReader(""), "--yes", "-o", "json", "--endpoint-url", url)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), *topic.TopicArn) {
		t.Fatalf("want exit 1 naming the topic, got %d: %v", exitCode(err), err)
	}
	var report struct {
		Deleted bool
		Result  struct{ Leftovers []struct{ Kind, Name string } }
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if report.Deleted || len(report.Result.Leftovers) != 1 || report.Result.Leftovers[0].Name != *topic.TopicArn {
		t.Fatalf("report %+v", report)
	}
}

// Against moto with the real clients: a deployment that does not exist.
func TestDownOnNothingAgainstMoto(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	out, _, err := runDown(t, environment{}, strings.NewReader(""), "--name", "absent", "--endpoint-url", srv.URL)
	if err != nil || !strings.Contains(out, `Nothing to delete: no stack or leftover of deployment "absent"`) {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestDownBadFlags(t *testing.T) {
	t.Parallel()
	_, _, err := runDown(t, environment{}, strings.NewReader(""), "--studio-timeout", "0s")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--studio-timeout") {
		t.Fatalf("want exit 2 naming --studio-timeout, got %d: %v", exitCode(err), err)
	}
}

// Issue 22 item 13: `down -o json` said "deleted": true for a deployment
// that never existed, and wrote null where a list belongs.
func TestDownJSONOnNothing(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	out, _, err := runDown(t, environment{}, strings.NewReader(""), "--name", "absent", "--endpoint-url", srv.URL, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "null") || !strings.Contains(out, `"found": false`) || !strings.Contains(out, `"deleted": false`) {
		t.Fatalf("report:\n%s", out)
	}
}
