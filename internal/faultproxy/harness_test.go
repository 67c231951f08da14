package faultproxy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/mlflowctl/mlflowctl/internal/cli"
	"github.com/mlflowctl/mlflowctl/internal/faultproxy"
	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

func TestMain(m *testing.M) { mototest.Main(m) }

const harnessPassword = "Correct-Horse-Battery-9"

// TestFaultHarness runs `users seed`, up (the bootstrap stack, the one
// moto can create), `status` and down (the bootstrap stack) against moto
// through the fault proxy at 30 % faults of each kind, then of all kinds
// mixed, and logs per command the SDK calls, retries, faults injected,
// wall time and the final state. It asserts only the final state; the
// numbers are reported, not checked. It takes a few minutes, so it runs
// only with MLFLOWCTL_FAULT_HARNESS=1:
//
//	MLFLOWCTL_FAULT_HARNESS=1 go test -run TestFaultHarness -v ./internal/faultproxy/
func TestFaultHarness(t *testing.T) {
	if os.Getenv("MLFLOWCTL_FAULT_HARNESS") != "1" {
		t.Skip("set MLFLOWCTL_FAULT_HARNESS=1 to run the fault harness")
	}
	runs := [][]faultproxy.Kind{}
	for _, k := range faultproxy.Kinds {
		runs = append(runs, []faultproxy.Kind{k})
	}
	runs = append(runs, faultproxy.Kinds)
	seeds := 3
	if n, err := strconv.Atoi(os.Getenv("MLFLOWCTL_FAULT_SEEDS")); err == nil && n > 0 {
		seeds = n
	}
	var table []string
	for _, kinds := range runs {
		name := string(kinds[0])
		if len(kinds) > 1 {
			name = "all kinds"
		}
		total := map[string]*tally{}
		for seed := 1; seed <= seeds; seed++ {
			t.Run(fmt.Sprintf("%s/seed-%d", name, seed), func(t *testing.T) {
				for _, r := range harnessRun(t, name, kinds, uint64(seed)) {
					if total[r.cmd] == nil {
						total[r.cmd] = &tally{}
					}
					total[r.cmd].add(r)
				}
			})
		}
		for _, cmd := range []string{"users seed", "up", "status", "down"} {
			if tl := total[cmd]; tl != nil {
				table = append(table, fmt.Sprintf("%-10s %-11s %6d %8d %7d %9s  %d of %d runs ended right%s", name, cmd, tl.calls, tl.retries,
					tl.faults, tl.wall.Round(10*time.Millisecond), tl.ok, tl.runs, tl.failures()))
			}
		}
	}
	t.Logf("\n%d seeds per row; calls, retries, faults and wall time are totals over the seeds\n%-10s %-11s %6s %8s %7s %9s  %s\n%s",
		seeds, "faults", "command", "calls", "retries", "faults", "wall", "final state", strings.Join(table, "\n"))
}

// result is one command's run: counts from the proxy, and whether the
// final state was right (and if not, what it was).
type result struct {
	cmd                    string
	calls, retries, faults int
	wall                   time.Duration
	ok                     bool
	final                  string
}

type tally struct {
	calls, retries, faults, runs, ok int
	wall                             time.Duration
	bad                              []string
}

func (t *tally) add(r result) {
	t.calls += r.calls
	t.retries += r.retries
	t.faults += r.faults
	t.wall += r.wall
	t.runs++
	if r.ok {
		t.ok++
	} else {
		t.bad = append(t.bad, r.final)
	}
}

func (t *tally) failures() string {
	if len(t.bad) == 0 {
		return ""
	}
	return "; wrong: " + strings.Join(t.bad, " | ")
}

type phase struct {
	p     *faultproxy.Proxy
	start time.Time
	s0    faultproxy.Stats
}

func begin(p *faultproxy.Proxy) phase { return phase{p: p, start: time.Now(), s0: p.Stats()} }

func (ph phase) result(cmd, final string, ok bool) result {
	s := ph.p.Stats()
	return result{cmd: cmd, calls: s.Calls - ph.s0.Calls, retries: s.Retries - ph.s0.Retries,
		faults: s.FaultCount() - ph.s0.FaultCount(), wall: time.Since(ph.start), ok: ok, final: final}
}

func harnessRun(t *testing.T, kind string, kinds []faultproxy.Kind, seed uint64) []result {
	srv := mototest.Start(t)
	t.Chdir(t.TempDir())
	ctx := context.Background()
	direct, err := awsx.Load(ctx, awsx.Options{Region: mototest.Region, EndpointURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p, err := faultproxy.Start(srv.URL, faultproxy.Options{Seed: seed, Rate: 0.3, Kinds: kinds, Max: 400, Delay: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var rows []result

	// users seed, the real command, on a pool made directly in moto.
	pool := makePool(t, cip.NewFromConfig(direct))
	ph := begin(p)
	out, errOut, err := mlflowctl(ctx, harnessPassword+"\n", "users", "seed", "--password-stdin", "--user-pool-id", pool,
		"--email-domain", "example.com", "--endpoint-url", p.URL)
	final := confirmedUsers(t, cip.NewFromConfig(direct), pool)
	if err != nil {
		final += fmt.Sprintf("; exit error: %v", firstLine(err.Error()))
		t.Logf("seed output:\n%s%s", out, errOut)
	}
	ok := final == "3 of 3 users CONFIRMED in their group" && err == nil
	rows = append(rows, ph.result("users seed", final, ok))
	if !ok {
		t.Errorf("users seed under %s: %s", kind, final)
	}

	// up: the engine with the real bootstrap template, as `up` runs it.
	viaProxy, err := awsx.Load(ctx, awsx.Options{Region: mototest.Region, EndpointURL: p.URL})
	if err != nil {
		t.Fatal(err)
	}
	cfn := cloudformation.NewFromConfig(viaProxy)
	d := bootstrapDeployment(t)
	eng := deploy.New(cfn, deploy.Options{Version: "harness", DirectCalls: true, PollMin: 200 * time.Millisecond, PollMax: time.Second})
	ph = begin(p)
	_, err = eng.Deploy(ctx, d)
	final = stackState(t, cloudformation.NewFromConfig(direct), "harness-bootstrap")
	if err != nil {
		final += "; error: " + firstLine(err.Error())
	}
	ok = strings.HasPrefix(final, "CREATE_COMPLETE") && err == nil
	rows = append(rows, ph.result("up", final, ok))
	if !ok {
		t.Errorf("up under %s: %s", kind, final)
	}

	// status, the real command.
	ph = begin(p)
	out, errOut, err = mlflowctl(ctx, "", "status", "--name", "harness", "--endpoint-url", p.URL, "-o", "json")
	final = "reported bootstrap CREATE_COMPLETE"
	ok = err == nil && strings.Contains(out, `"status": "CREATE_COMPLETE"`)
	if !ok {
		final = fmt.Sprintf("wrong report: %v %s", err, firstLine(errOut))
		t.Errorf("status under %s: %v\n%s%s", kind, err, out, errOut)
	}
	rows = append(rows, ph.result("status", final, ok))

	// down: the engine's delete of the bootstrap stack, as down runs it.
	ph = begin(p)
	err = eng.Delete(ctx, d)
	final = stackState(t, cloudformation.NewFromConfig(direct), "harness-bootstrap")
	if err != nil {
		final += "; error: " + firstLine(err.Error())
	}
	ok = final == "gone" && err == nil
	rows = append(rows, ph.result("down", final, ok))
	if !ok {
		t.Errorf("down under %s: %s", kind, final)
	}
	return rows
}

func mlflowctl(ctx context.Context, in string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := cli.Execute(ctx, cli.BuildInfo{Version: "harness"}, args, cli.IO{In: strings.NewReader(in), Out: &out, Err: &errOut})
	return out.String(), errOut.String(), err
}

func makePool(t *testing.T, c *cip.Client) string {
	ctx := context.Background()
	out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("harness")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.UserPool.Id)
	for _, g := range config.Defaults().Groups {
		if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &id, GroupName: aws.String(g.Name)}); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func confirmedUsers(t *testing.T, c *cip.Client, pool string) string {
	ctx := context.Background()
	out, err := c.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &pool})
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	var bad []string
	for _, u := range out.Users {
		groups, err := c.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: &pool, Username: u.Username})
		if err != nil {
			t.Fatal(err)
		}
		if u.UserStatus == ciptypes.UserStatusTypeConfirmed && len(groups.Groups) == 1 {
			ok++
			continue
		}
		bad = append(bad, fmt.Sprintf("%s %s in %d groups", aws.ToString(u.Username), u.UserStatus, len(groups.Groups)))
	}
	s := fmt.Sprintf("%d of 3 users CONFIRMED in their group", ok)
	if len(bad) > 0 {
		s += " (" + strings.Join(bad, ", ") + ")"
	}
	return s
}

func bootstrapDeployment(t *testing.T) deploy.Deployment {
	cfg := config.Defaults()
	cfg.Name = "harness"
	all, err := stacks.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all.Stacks {
		if s.ID == stacks.Bootstrap {
			return deploy.Deployment{Name: cfg.Name, Stacks: []deploy.Stack{s}}
		}
	}
	t.Fatal("no bootstrap stack")
	return deploy.Deployment{}
}

func stackState(t *testing.T, c *cloudformation.Client, name string) string {
	out, err := c.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: &name})
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return "gone"
		}
		t.Fatal(err)
	}
	st := out.Stacks[0]
	return fmt.Sprintf("%s, %d outputs", st.StackStatus, len(st.Outputs))
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
