package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// runWithInput runs mlflowctl in a scratch directory with stdin from text.
func runWithInput(t *testing.T, ctx context.Context, in string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	newDir(t)
	var out, errOut bytes.Buffer
	err = execute(ctx, BuildInfo{Version: "1.2.3"}, args, IO{In: strings.NewReader(in), Out: &out, Err: &errOut}, inTest(t, environment{}))
	return out.String(), errOut.String(), err
}

func TestInitWithoutTerminalPointsElsewhere(t *testing.T) {
	t.Parallel()
	_, _, err := runCLI(t, "init")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "mlflowctl config init") || !strings.Contains(err.Error(), "--accessible") {
		t.Fatalf("err = %v (exit %d)", err, exitCode(err))
	}
	if _, statErr := os.Stat(inDir(t, "mlflowctl.yaml")); statErr == nil {
		t.Fatal("init without a terminal wrote a file")
	}
}

func TestBareMlflowctlWithoutTerminalPrintsHelp(t *testing.T) {
	t.Parallel()
	out, _, err := runCLI(t)
	if err != nil || !strings.Contains(out, "Usage:") || !strings.Contains(out, "init") {
		t.Fatalf("err=%v out=%q", err, out)
	}
	if _, _, err := runCLI(t, "nonsense"); exitCode(err) != 2 {
		t.Fatalf("unknown command: exit %d", exitCode(err))
	}
}

func TestInitAccessibleFromPipe(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	// profile, region, name, version (2.12.2), size, Studio, gateway off,
	// MFA, admin, write.
	answers := "\nus-west-2\npiped\n1\n\nnone\nn\n\n\n\n"
	out, errOut, err := runWithInput(t, context.Background(), answers, "init", "--accessible", "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, `"written": true`) || !strings.Contains(errOut, "Could not list") {
		t.Fatalf("stdout %q\nstderr %s", out, errOut)
	}
	c, err := config.LoadValid(config.LoadOptions{Path: inDir(t, "mlflowctl.yaml"), Required: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "us-west-2" || c.Name != "piped" || c.MLflowVersion != "2.12.2" || c.Studio.Enabled || c.Gateway.Enabled {
		t.Fatalf("config %+v", c)
	}
}

func TestInitStartsFromTheExistingFile(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	if err := os.WriteFile(inDir(t, "mlflowctl.yaml"), []byte("name: kept\nregion: eu-west-3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	// Defaults everywhere (0 confirms the model list), write, keep the file.
	in := strings.Repeat("\n", 7) + "0\n" + "\n\n" + "\n" + "\n"
	err := execute(context.Background(), BuildInfo{}, []string{"init", "--accessible"}, IO{In: strings.NewReader(in), Out: &out, Err: &errOut}, inTest(t, environment{}))
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "Name            kept") || !strings.Contains(errOut.String(), "mlflowctl.yaml was kept") {
		t.Fatalf("did not start from the file or did not keep it:\n%s", errOut.String())
	}
	if data, _ := os.ReadFile(inDir(t, "mlflowctl.yaml")); string(data) != "name: kept\nregion: eu-west-3\n" {
		t.Fatalf("file changed: %q", data)
	}
}

func TestInitRefusesAnInvalidExistingFile(t *testing.T) {
	t.Parallel()
	newDir(t)
	if err := os.WriteFile(inDir(t, "mlflowctl.yaml"), []byte("name: Bad_Name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := execute(context.Background(), BuildInfo{}, []string{"init", "--accessible"}, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, inTest(t, environment{}))
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "name:") || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("err = %v", err)
	}
}

func TestInitInterruptedExits130(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := runWithInput(t, ctx, "\n\n", "init", "--accessible")
	if exitCode(err) != 130 {
		t.Fatalf("err = %v (exit %d), want 130", err, exitCode(err))
	}
	if _, statErr := os.Stat(inDir(t, "mlflowctl.yaml")); statErr == nil {
		t.Fatal("an interrupted init wrote a file")
	}
}

// The wizard's follow-up after `up`: the first admin, invited into the
// admins group of the pool the api stack names.
func TestInitAddsTheFirstAdmin(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	e.apiStack(t, "mlflow", true)
	var errOut bytes.Buffer
	o := &initOpts{g: &globalOpts{ctx: context.Background(), stderr: &errOut, endpointURL: e.url, env: inTest(t, environment{})}}
	cfg := config.Defaults()
	cfg.Region = mototest.Region
	for range 2 { // the second run changes nothing
		if err := o.addAdmin(context.Background(), cfg, "ada@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	out, err := e.cip.AdminListGroupsForUser(context.Background(), &cip.AdminListGroupsForUserInput{
		UserPoolId: &e.pool, Username: aws.String("ada@example.com"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Groups) != 1 || aws.ToString(out.Groups[0].GroupName) != "admins" || e.userCount(t) != 1 {
		t.Fatalf("groups %v, users %d\n%s", out.Groups, e.userCount(t), errOut.String())
	}
}

// The size screen and the summary price the configuration with the same
// table as `up --dry-run`.
func TestInitShowsTheIdleCost(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	in := strings.Repeat("\n", 7) + "0\n" + "\n\n" + "\n"
	_, errOut, err := runWithInput(t, context.Background(), in, "init", "--accessible")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	team := config.Defaults()
	team.Region = "us-east-1"
	total, _ := idleCost(team)
	for _, want := range []string{
		fmt.Sprintf("2. team       %-13s server", fmt.Sprintf("~$%.0f/month", total)),
		fmt.Sprintf("Estimated cost while idle: ~$%.0f per month", total),
		"NAT gateways", "Network load balancer",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("output lacks %q:\n%s", want, errOut)
		}
	}
}

// Saying yes to `up` deploys the written file in the same program, with
// up's own plan and confirmation read from the same pipe.
func TestInitRunsUp(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	newDir(t)
	synctest.Test(t, func(t *testing.T) {
		fake := cfnfake.New()
		env := withFakeAWS(t, fake, &putRecorder{})
		// Defaults (0 ends the model list), no admin, write, run up, confirm the plan.
		in := strings.Repeat("\n", 7) + "0\n" + "\n\n" + "\n" + "y\n" + "y\n"
		out, errOut, err := runEnv(t, env, in, "init", "--accessible", "-o", "json")
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		if !strings.Contains(out, `"deployed": true`) || !strings.Contains(errOut, "Plan:") {
			t.Fatalf("stdout %s\nstderr %s", out, errOut)
		}
		for _, id := range stacks.IDs {
			if st := fake.Status("mlflow-" + id); st != "CREATE_COMPLETE" && (id != stacks.Server || st != "UPDATE_COMPLETE") {
				t.Errorf("stack %s is %s", id, st)
			}
		}
	})
}
