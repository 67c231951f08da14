package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/preflight"
	"github.com/mlflowctl/mlflowctl/pkg/preflight/preflightfake"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// seededAccount is moto behind the preflight fake with three problems:
// the existing Studio domain is in SSO mode, the artifact bucket's name is
// held by another account, and the chat model has no Bedrock access. The
// ECS service-linked role is missing too, which up fixes itself.
func seededAccount(t *testing.T) *preflightfake.Server {
	t.Helper()
	srv := startMoto(t)
	fake := preflightfake.New(srv.URL)
	t.Cleanup(fake.Close)
	cfg := config.Defaults()
	fake.SetQuota("ec2", "L-0263D0A3", 5)
	fake.SetQuota("fargate", "L-3032A538", 6)
	fake.SetQuota("rds", "L-952B80B8", 40)
	fake.AddEngineVersion(preflightfake.EngineVersion{Version: "16.6", MinACU: 0, MaxACU: 256})
	fake.SetModel(preflight.BaseModel(cfg.Gateway.Endpoints[0].Model), preflightfake.Availability{Region: "AVAILABLE", Entitlement: "AVAILABLE", Agreement: "NOT_AVAILABLE", Authorization: "NOT_AUTHORIZED"})
	fake.SetModel(preflight.BaseModel(cfg.Gateway.Endpoints[1].Model), preflightfake.Granted)
	fake.ForeignBucket(stacks.BucketNames(cfg, mototest.Account, mototest.Region)[2])
	awsCfg := srv.AWSConfig()
	_, err := sagemaker.NewFromConfig(awsCfg).CreateDomain(context.Background(), &sagemaker.CreateDomainInput{
		DomainName: aws.String("teamsso12345"), AuthMode: smtypes.AuthModeSso, SubnetIds: []string{"subnet-1"}, VpcId: aws.String("vpc-1"),
		DefaultUserSettings: &smtypes.UserSettings{ExecutionRole: aws.String("arn:aws:iam::123456789012:role/x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inDir(t, "mlflowctl.yaml"), []byte("region: us-east-1\nstudio:\n  domainId: d-teamsso12345\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return fake
}

func TestDoctorShowsEachSeededProblemWithItsFixAndExits2(t *testing.T) {
	t.Parallel()
	newDir(t)
	fake := seededAccount(t)
	out, errOut, err := runIn(t, "", "doctor", "--endpoint-url", fake.URL)
	t.Logf("mlflowctl doctor (moto account, three seeded problems):\n%s%s", out, errOut)
	var pe *preflightError
	if !errors.As(err, &pe) || pe.ExitCode() != 2 {
		t.Fatalf("doctor: %v, want a preflight failure (exit 2)", err)
	}
	for _, want := range []string{
		"FAIL: uses IAM Identity Center (SSO)",
		"bucket mlflow-artifacts-123456789012-us-east-1", "taken by another AWS account",
		"bedrock chat", "Model access",
		"service-linked role ecs.amazonaws.com", "FIXABLE", "up creates it",
		"3 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor's table lacks %q", want)
		}
	}
	assertOnlyReads(t, fake)
}

func TestDoctorJSON(t *testing.T) {
	t.Parallel()
	newDir(t)
	fake := seededAccount(t)
	out, _, err := runIn(t, "", "doctor", "-o", "json", "--endpoint-url", fake.URL)
	if err == nil {
		t.Fatal("doctor passed a failing account")
	}
	var rep preflight.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	failed := 0
	for _, r := range rep.Results {
		if r.Status == preflight.Fail {
			failed++
		}
	}
	if failed != 3 || rep.Account != mototest.Account {
		t.Errorf("%d failures in account %s: %+v", failed, rep.Account, rep.Results)
	}
}

// up runs the same checks first and stops with exit 2 before its plan:
// no stack, no role, nothing created.
func TestUpStopsBeforeAnyChangeWhenPreflightFails(t *testing.T) {
	t.Parallel()
	newDir(t)
	fake := seededAccount(t)
	_, errOut, err := runIn(t, "", "up", "--yes", "--endpoint-url", fake.URL)
	var pe *preflightError
	if !errors.As(err, &pe) {
		t.Fatalf("up: %v\n%s", err, errOut)
	}
	if strings.Contains(errOut, "Plan:") || !strings.Contains(errOut, "taken by another AWS account") {
		t.Errorf("up's stderr:\n%s", errOut)
	}
	assertOnlyReads(t, fake)
}

func TestDoctorCreateRolesCreatesTheMissingECSRole(t *testing.T) {
	t.Parallel()
	newDir(t)
	fake := seededAccount(t)
	if err := os.WriteFile(inDir(t, "mlflowctl.yaml"), []byte("region: us-east-1\ngateway:\n  enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake.ForeignBucket("none") // the artifact bucket stays foreign: use another name
	env := environment{roleWait: &preflight.RoleWait{Timeout: time.Minute, Interval: 10 * time.Millisecond}}
	_, errOut, err := runEnv(t, env, "", "doctor", "--create-roles", "--name", "other", "--endpoint-url", fake.URL)
	if err != nil {
		t.Fatalf("doctor --create-roles: %v\n%s", err, errOut)
	}
	var created bool
	for _, op := range fake.Ops() {
		created = created || op == "iam CreateServiceLinkedRole"
	}
	if !created {
		t.Error("no CreateServiceLinkedRole call")
	}
	out, _, err := runIn(t, "", "doctor", "--name", "other", "--endpoint-url", fake.URL)
	if err != nil || strings.Contains(out, "FIXABLE") {
		t.Errorf("after --create-roles: %v\n%s", err, out)
	}
}

func assertOnlyReads(t *testing.T, fake *preflightfake.Server) {
	t.Helper()
	for _, op := range fake.Ops() {
		_, name, _ := strings.Cut(op, " ")
		ok := false
		for _, p := range []string{"Get", "List", "Describe", "Head", "GET ", "HEAD "} {
			ok = ok || strings.HasPrefix(name, p)
		}
		if !ok {
			t.Errorf("a change reached AWS: %s", op)
		}
	}
}

func TestVerifyWithoutADeploymentSaysRunUpFirst(t *testing.T) {
	t.Parallel()
	newDir(t)
	srv := startMoto(t)
	_, _, err := runIn(t, "", "verify", "--region", "us-east-1", "--endpoint-url", srv.URL)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "run mlflowctl up first") {
		t.Errorf("verify without a deployment: %v", err)
	}
}

// The missing ECS role is up's to create, but only after its confirmation:
// declining changes nothing.
func TestUpDeclinedCreatesNoServiceLinkedRole(t *testing.T) {
	t.Parallel()
	newDir(t)
	fake := seededAccount(t)
	if err := os.WriteFile(inDir(t, "mlflowctl.yaml"), []byte("region: us-east-1\ngateway:\n  enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := runIn(t, "n\n", "up", "--name", "other", "--endpoint-url", fake.URL)
	if err != nil {
		t.Fatalf("up: %v\n%s", err, errOut)
	}
	for _, want := range []string{"FIXABLE", "Plan:", "Nothing changed."} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	assertOnlyReads(t, fake)
}
