package cli

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/app"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

func TestStatusNothingDeployed(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	env := withFakeAWS(t, cfnfake.New(), &putRecorder{})
	out, _, err := runEnv(t, env, "", "status", "--region", "us-east-1")
	if err != nil || !strings.Contains(out, `Nothing is deployed as "mlflow"`) || !strings.Contains(out, "mlflowctl up") {
		t.Fatalf("%v\n%s", err, out)
	}
	out, _, err = runEnv(t, env, "", "status", "--region", "us-east-1", "-o", "json")
	var rep app.StatusReport
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Deployed || len(rep.Stacks) != len(stacks.IDs) {
		t.Fatalf("%v %+v\n%s", err, rep, out)
	}
}

func TestStatusAfterUp(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		env := withFakeAWS(t, cfnfake.New(), &putRecorder{})
		if _, errOut, err := runEnv(t, env, "", "up", "--yes", "--region", "us-east-1"); err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		out, _, err := runEnv(t, env, "", "status", "--region", "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"mlflow-bootstrap", "CREATE_COMPLETE", "1.2.3", "MLflow version:", config3()} {
			if !strings.Contains(out, want) {
				t.Errorf("status lacks %q:\n%s", want, out)
			}
		}
		out, _, _ = runEnv(t, env, "", "status", "--region", "us-east-1", "-o", "json")
		var rep app.StatusReport
		if json.Unmarshal([]byte(out), &rep) != nil || !rep.Deployed || rep.Endpoints.MLflowVersion != config3() {
			t.Fatalf("json %s", out)
		}
	})
}

func config3() string { return "3.18.0" }

// Against moto: stacks created with small templates (moto cannot create
// the real ones) and the deployment's tags; status reads them back over
// the real CloudFormation API.
func TestStatusAgainstMoto(t *testing.T) {
	t.Parallel()
	srv := startMoto(t)
	ctx := context.Background()
	cfn := cloudformation.NewFromConfig(aws.Config{
		Region: mototest.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
	tpl := func(outputs map[string]string) string {
		b := strings.Builder{}
		b.WriteString("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\nOutputs:\n")
		for k, v := range outputs {
			b.WriteString("  " + k + ":\n    Value: \"" + v + "\"\n")
		}
		return b.String()
	}
	for id, outs := range map[string]map[string]string{
		stacks.Server: {stacks.OutMLflowVersion: "2.12.2"},
		stacks.API:    {stacks.OutRestAPIURL: "https://abc.execute-api.us-east-1.amazonaws.com/prod/", stacks.OutUIURL: "https://main.d1.amplifyapp.com"},
	} {
		_, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
			StackName: aws.String("team-" + id), TemplateBody: aws.String(tpl(outs)),
			Tags: []types.Tag{{Key: aws.String("mlflowctl:deployment"), Value: aws.String("team")}, {Key: aws.String("mlflowctl:stack"), Value: aws.String(id)}, {Key: aws.String("mlflowctl:version"), Value: aws.String("0.9.0")}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, err := runCLI(t, "status", "--name", "team", "--endpoint-url", srv.URL, "--region", mototest.Region, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rep app.StatusReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// 2 of 5 stacks: partial, not deployed (issue 22 item 13)
	if rep.Deployed || rep.State != app.StatePartial || !sameNames(rep.Missing, absentStacks("team", stacks.Server, stacks.API)) ||
		rep.Endpoints.MLflowVersion != "2.12.2" || rep.Endpoints.TrackingURI != "https://abc.execute-api.us-east-1.amazonaws.com/prod" {
		t.Fatalf("%+v", rep)
	}
	present := 0
	for _, s := range rep.Stacks {
		if s.Exists {
			present++
			if s.Status != "CREATE_COMPLETE" || s.Version != "0.9.0" {
				t.Errorf("stack %+v", s)
			}
		}
	}
	if present != 2 {
		t.Fatalf("%d stacks found, want 2", present)
	}
}

// TestStatusPartialDeployment (issue 22 item 13, walk-through F23): with
// 1 of 5 stacks, status said "deployed": true and nothing about how to
// finish. It is partial: the missing and failed stacks are named, and the
// command that finishes it, with the flags that chose the deployment.
func TestStatusPartialDeployment(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	tags := func(id string) map[string]string {
		return map[string]string{"mlflowctl:deployment": "team", "mlflowctl:stack": id, "mlflowctl:version": "1.2.3"}
	}
	tpl := "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
	cases := []struct {
		name              string
		seed              map[string]types.StackStatus
		state, next       string
		failed            []string
		text              []string
		deployed, partial bool
	}{
		{name: "one of five", seed: map[string]types.StackStatus{stacks.Bootstrap: types.StackStatusCreateComplete},
			state: "partial", next: "`mlflowctl up --name team --region us-east-1`",
			failed: []string{},
			text:   []string{"The deployment is partial.", "  missing: ", "Next: `mlflowctl up --name team --region us-east-1` creates"}},
		{name: "a failed create", seed: map[string]types.StackStatus{stacks.Bootstrap: types.StackStatusCreateComplete, stacks.Server: types.StackStatusRollbackComplete},
			state: "partial", next: "`mlflowctl up --name team --region us-east-1`",
			failed: []string{"team-server"},
			text:   []string{"failed:  team-server (ROLLBACK_COMPLETE)"}},
		{name: "a failed delete", seed: map[string]types.StackStatus{stacks.Bootstrap: types.StackStatusDeleteFailed},
			state: "partly deleted", next: "`mlflowctl down --name team --region us-east-1` finishes the deletion",
			failed: []string{"team-bootstrap"},
			text:   []string{"The deployment is partly deleted.", "Next: `mlflowctl down --name team --region us-east-1` finishes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := cfnfake.New()
			for id, st := range c.seed {
				fake.Seed("team-"+id, tpl, nil, tags(id), st)
			}
			env := withFakeAWS(t, fake, &putRecorder{})
			out, _, err := runEnv(t, env, "", "status", "--name", "team", "--region", "us-east-1", "-o", "json")
			var rep app.StatusReport
			if err != nil || json.Unmarshal([]byte(out), &rep) != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			var seeded []string
			for id := range c.seed {
				seeded = append(seeded, id)
			}
			// every stack of the graph that is not there (the graph grows:
			// the list is not written out here)
			missing := absentStacks("team", seeded...)
			if rep.Deployed || rep.State != c.state || !strings.HasPrefix(rep.Next, c.next) ||
				!sameNames(rep.Missing, missing) || strings.Join(rep.Failed, ",") != strings.Join(c.failed, ",") {
				t.Errorf("deployed %v, state %q, next %q, missing %v, failed %v\n%s", rep.Deployed, rep.State, rep.Next, rep.Missing, rep.Failed, out)
			}
			text, _, err := runEnv(t, env, "", "status", "--name", "team", "--region", "us-east-1")
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range missing {
				if !strings.Contains(text, m) {
					t.Errorf("text lacks the missing stack %s:\n%s", m, text)
				}
			}
			for _, want := range c.text {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

// TestStatusWholeDeploymentSaysNothingMore: a complete deployment is
// "deployed", with empty (not null) missing and failed lists and no advice;
// a stack the configuration leaves out (studio.enabled: false) is not
// missing.
func TestStatusWholeDeploymentSaysNothingMore(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	if err := os.WriteFile(inDir(t, "mlflowctl.yaml"), []byte("name: team\nstudio:\n  enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := cfnfake.New()
	for _, id := range stacks.IDs {
		if id != stacks.Studio {
			fake.Seed("team-"+id, "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n", nil,
				map[string]string{"mlflowctl:deployment": "team", "mlflowctl:stack": id}, types.StackStatusUpdateComplete)
		}
	}
	env := withFakeAWS(t, fake, &putRecorder{})
	out, _, err := runEnv(t, env, "", "status", "--region", "us-east-1", "-o", "json")
	if err != nil || !strings.Contains(out, `"missing": []`) || !strings.Contains(out, `"failed": []`) || !strings.Contains(out, `"state": "deployed"`) || !strings.Contains(out, `"deployed": true`) {
		t.Fatalf("%v\n%s", err, out)
	}
	text, _, err := runEnv(t, env, "", "status", "--region", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "The deployment is") || strings.Contains(text, "Next:") {
		t.Fatalf("a whole deployment gets advice:\n%s", text)
	}
}

// absentStacks are the deployment's stack names but those of present.
func absentStacks(name string, present ...string) []string {
	var out []string
	for _, id := range stacks.IDs {
		if !slices.Contains(present, id) {
			out = append(out, name+"-"+id)
		}
	}
	return out
}

func sameNames(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
