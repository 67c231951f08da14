package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
)

// usersEnv is moto with a user pool (min 12 characters, every character
// class) holding the three default groups.
type usersEnv struct {
	url    string
	pool   string
	client string
	cip    *cip.Client
	cfn    *cloudformation.Client
}

func newUsersEnv(t *testing.T) *usersEnv {
	t.Helper()
	srv := startMoto(t)
	cfg, err := awsx.Load(context.Background(), awsx.Options{Region: mototest.Region, EndpointURL: srv.URL, Env: srv.Env()})
	if err != nil {
		t.Fatal(err)
	}
	e := &usersEnv{url: srv.URL, cip: cip.NewFromConfig(cfg), cfn: cloudformation.NewFromConfig(cfg)}
	ctx := context.Background()
	out, err := e.cip.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("mlflow-user-pool"),
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(12), RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.pool = aws.ToString(out.UserPool.Id)
	for _, g := range []string{"admins", "readers", "model-approvers"} {
		if _, err := e.cip.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &e.pool, GroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	client, err := e.cip.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &e.pool, ClientName: aws.String("test")})
	if err != nil {
		t.Fatal(err)
	}
	e.client = aws.ToString(client.UserPoolClient.ClientId)
	return e
}

// apiStack creates <deployment>-api. moto's CloudFormation cannot create
// Cognito resources, so the template passes the pool id through to the
// UserPoolId output the real api stack has.
func (e *usersEnv) apiStack(t *testing.T, deployment string, withOutput bool) {
	t.Helper()
	outputs := ""
	if withOutput {
		outputs = `"UserPoolId": {"Value": {"Ref": "PoolId"}}`
	}
	tmpl := fmt.Sprintf(`{"Parameters": {"PoolId": {"Type": "String"}},
  "Resources": {"Marker": {"Type": "AWS::SSM::Parameter",
    "Properties": {"Name": "/mlflowctl-test/%s", "Type": "String", "Value": {"Ref": "PoolId"}}}},
  "Outputs": {%s}}`, deployment, outputs)
	_, err := e.cfn.CreateStack(context.Background(), &cloudformation.CreateStackInput{
		StackName:    aws.String(deployment + "-api"),
		TemplateBody: aws.String(tmpl),
		Parameters:   []cftypes.Parameter{{ParameterKey: aws.String("PoolId"), ParameterValue: &e.pool}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// run runs mlflowctl against moto with in as standard input.
func (e *usersEnv) run(t *testing.T, in io.Reader, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	newDir(t)
	var out, errOut bytes.Buffer
	args = append(args, "--endpoint-url", e.url)
	err = execute(context.Background(), BuildInfo{Version: "test"}, args, IO{In: in, Out: &out, Err: &errOut}, inTest(t, environment{}))
	return out.String(), errOut.String(), err
}

// pool runs a users subcommand on the env's pool by id.
func (e *usersEnv) onPool(t *testing.T, in io.Reader, args ...string) (string, string, error) {
	t.Helper()
	return e.run(t, in, append(args, "--user-pool-id", e.pool)...)
}

func stdin(s string) io.Reader { return strings.NewReader(s) }

// login signs in with a password and returns the challenge Cognito asks
// for ("" when the password is permanent and tokens came back).
func (e *usersEnv) login(t *testing.T, email, password string) (string, error) {
	t.Helper()
	out, err := e.cip.AdminInitiateAuth(context.Background(), &cip.AdminInitiateAuthInput{
		UserPoolId: &e.pool, ClientId: &e.client, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		return "", err
	}
	if out.AuthenticationResult != nil {
		return "", nil
	}
	return string(out.ChallengeName), nil
}

func (e *usersEnv) userCount(t *testing.T) int {
	t.Helper()
	out, err := e.cip.ListUsers(context.Background(), &cip.ListUsersInput{UserPoolId: &e.pool})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Users)
}

type listedUser struct {
	Username, Email, Status string
	Enabled                 bool
	Groups                  []string
}

func decodeList(t *testing.T, out string) (string, []listedUser) {
	t.Helper()
	var l struct {
		UserPoolID string `json:"userPoolId"`
		Users      []listedUser
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("list output is not JSON: %v\n%s", err, out)
	}
	return l.UserPoolID, l.Users
}

const goodPassword = "Correct-Horse-Battery-9"

func TestUsersSeedThenListThroughTheStack(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	e.apiStack(t, "mlflow", true)

	out, errOut, err := e.run(t, stdin(goodPassword+"\n"), "users", "seed", "--password-stdin", "-o", "json")
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, errOut)
	}
	if strings.Contains(out+errOut, goodPassword) {
		t.Fatal("seed printed the password")
	}
	checkDocumentedShape(t, e, out, "users", "seed")
	var seeded struct {
		Users []struct {
			Email       string
			Created     bool
			Password    string
			GroupsAdded []string
		}
	}
	if err := json.Unmarshal([]byte(out), &seeded); err != nil || len(seeded.Users) != 3 {
		t.Fatalf("seed output: %v\n%s", err, out)
	}
	for _, u := range seeded.Users {
		if !u.Created || u.Password != "permanent" || len(u.GroupsAdded) != 1 {
			t.Errorf("first seed: %+v", u)
		}
	}

	list, _, err := e.run(t, nil, "users", "list", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("users list -o json after users seed:\n%s", list)
	checkDocumentedShape(t, e, list, "users", "list")
	pool, users := decodeList(t, list)
	if pool != e.pool {
		t.Fatalf("list names pool %q, want %q", pool, e.pool)
	}
	want := map[string]string{
		"mlflow-admin@example.com":          "admins",
		"mlflow-model-approver@example.com": "model-approvers",
		"mlflow-reader@example.com":         "readers",
	}
	if len(users) != 3 {
		t.Fatalf("%d users listed", len(users))
	}
	for _, u := range users {
		if g, ok := want[u.Email]; !ok || !slices.Equal(u.Groups, []string{g}) || u.Status != "CONFIRMED" || !u.Enabled {
			t.Errorf("listed %+v", u)
		}
		if challenge, err := e.login(t, u.Email, goodPassword); err != nil || challenge != "" {
			t.Errorf("%s cannot log in with the piped password: %q %v", u.Email, challenge, err)
		}
	}

	// Again: nothing to create, no password needed, nothing changes.
	again, _, err := e.run(t, nil, "users", "seed")
	if err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if strings.Count(again, "nothing changed") != 3 || strings.Contains(again, "Created") {
		t.Fatalf("second seed:\n%s", again)
	}
}

func TestUsersSeedTemporaryWithPoolIDAndDomain(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	out, _, err := e.onPool(t, nil, "users", "seed", "--temporary", "--email-domain", "Corp.Example", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var seeded struct {
		Users []struct {
			Email, Status, Password, TemporaryPassword string
			Groups                                     []string
		}
	}
	if err := json.Unmarshal([]byte(out), &seeded); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, u := range seeded.Users {
		if !strings.HasSuffix(u.Email, "@corp.example") || u.Status != "FORCE_CHANGE_PASSWORD" || u.Password != "temporary" {
			t.Errorf("seeded %+v", u)
		}
		if len(u.TemporaryPassword) < 12 || seen[u.TemporaryPassword] {
			t.Errorf("%s: temporary password missing, short or reused", u.Email)
		}
		seen[u.TemporaryPassword] = true
		if challenge, err := e.login(t, u.Email, u.TemporaryPassword); err != nil || challenge != "NEW_PASSWORD_REQUIRED" {
			t.Errorf("%s with its temporary password: challenge %q, %v", u.Email, challenge, err)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("want 3 temporary passwords:\n%s", out)
	}

	cfgFile := filepath.Join(t.TempDir(), "team.yaml")
	if err := os.WriteFile(cfgFile, []byte("cognito:\n  emailDomain: team.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = e.onPool(t, nil, "users", "seed", "--temporary", "--config", cfgFile)
	if err != nil || strings.Count(out, "@team.example (FORCE_CHANGE_PASSWORD)") != 3 {
		t.Fatalf("domain from the config file: %v\n%s", err, out)
	}

	_, _, err = e.onPool(t, nil, "users", "seed", "--email-domain", "not a domain", "--temporary")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--email-domain") {
		t.Fatalf("bad domain: exit %d: %v", exitCode(err), err)
	}
}

func TestUsersAddIsIdempotentAndSaysWhatChanged(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	out, errOut, err := e.onPool(t, stdin(goodPassword+"\n"), "users", "add", "Alice@Example.com", "--group", "readers", "--password-stdin", "-v")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, "Created alice@example.com (CONFIRMED) in readers.") || strings.Contains(out+errOut, goodPassword) {
		t.Fatalf("add:\n%s\n%s", out, errOut)
	}
	out, _, err = e.onPool(t, nil, "users", "add", "alice@example.com", "-g", "readers", "-g", "admins")
	if err != nil || !strings.Contains(out, "already exists: added to admins; now in admins, readers.") {
		t.Fatalf("add to a second group: %v\n%s", err, out)
	}
	out, errOut, err = e.onPool(t, nil, "users", "add", "alice@example.com", "--group", "admins,readers", "--temporary", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	checkDocumentedShape(t, e, out, "users", "add")
	var change struct {
		Created           bool
		Password          string
		TemporaryPassword *string
		GroupsAdded       []string
		Groups            []string
	}
	if err := json.Unmarshal([]byte(out), &change); err != nil {
		t.Fatal(err)
	}
	if change.Created || change.Password != "unchanged" || change.TemporaryPassword != nil || len(change.GroupsAdded) != 0 ||
		!slices.Equal(change.Groups, []string{"admins", "readers"}) {
		t.Fatalf("third add changed something: %s", out)
	}
	if !strings.Contains(errOut, "password left unchanged") {
		t.Fatalf("no note that the password was kept: %q", errOut)
	}
	if challenge, err := e.login(t, "alice@example.com", goodPassword); err != nil || challenge != "" {
		t.Fatalf("original password no longer works: %q %v", challenge, err)
	}
}

func TestUsersAddTemporaryAndInvite(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	out, _, err := e.onPool(t, nil, "users", "add", "bob@example.com", "-g", "readers", "--temporary")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(out, "Temporary password for bob@example.com: ")
	if !ok {
		t.Fatalf("no temporary password printed:\n%s", out)
	}
	temp, _, _ := strings.Cut(rest, "\n")
	if challenge, err := e.login(t, "bob@example.com", temp); err != nil || challenge != "NEW_PASSWORD_REQUIRED" {
		t.Fatalf("temporary password %d chars: %q %v", len(temp), challenge, err)
	}
	out, _, err = e.onPool(t, nil, "users", "add", "carol@example.com", "-g", "readers", "--invite", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Password, Status string }
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Password != "invitation" || c.Status != "FORCE_CHANGE_PASSWORD" {
		t.Fatalf("invite: %v %s", err, out)
	}
}

func TestUsersRejectBadInputAndChangeNothing(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	cases := []struct {
		name  string
		in    string
		args  []string
		wants []string
	}{
		{"bad e-mail", goodPassword, []string{"add", "alice@example", "-g", "readers", "--password-stdin"}, []string{"EMAIL", "not a domain"}},
		{"display name", goodPassword, []string{"add", "Alice <alice@example.com>", "-g", "readers", "--password-stdin"}, []string{"not an e-mail address"}},
		{"no group", goodPassword, []string{"add", "a@example.com", "--password-stdin"}, []string{"--group is required"}},
		{"unknown group", goodPassword, []string{"add", "a@example.com", "-g", "readers", "-g", "writers", "--password-stdin"},
			[]string{`"writers"`, "admins, model-approvers, readers"}},
		{"too short", "Ab1!xyz", []string{"add", "a@example.com", "-g", "readers", "--password-stdin"}, []string{"at least 12 characters (it has 7)"}},
		{"no upper-case", "abcdefgh1!xyz", []string{"add", "a@example.com", "-g", "readers", "--password-stdin"}, []string{"upper-case"}},
		{"no lower-case", "ABCDEFGH1!XYZ", []string{"add", "a@example.com", "-g", "readers", "--password-stdin"}, []string{"lower-case"}},
		{"no number", "Abcdefgh!!xyz", []string{"add", "a@example.com", "-g", "readers", "--password-stdin"}, []string{"a number"}},
		{"no symbol", "Abcdefgh12xyz", []string{"add", "a@example.com", "-g", "readers", "--password-stdin"}, []string{"a symbol"}},
		{"every rule", "   ", []string{"add", "a@example.com", "-g", "readers", "--password-stdin"},
			[]string{"at least 12", "upper-case", "lower-case", "a number", "no space at the start or end"}},
		{"empty stdin", "", []string{"add", "a@example.com", "-g", "readers", "--password-stdin"}, []string{"no password"}},
		{"no password source", "", []string{"add", "a@example.com", "-g", "readers"}, []string{"--password-stdin, --temporary or --invite"}},
		{"two sources", goodPassword, []string{"add", "a@example.com", "-g", "readers", "--password-stdin", "--temporary"}, []string{"pass one of them"}},
		{"stdin and invite", goodPassword, []string{"add", "a@example.com", "-g", "readers", "--password-stdin", "--invite"}, []string{"pass one of them"}},
		{"seed weak", "short", []string{"seed", "--password-stdin"}, []string{"at least 12"}},
		{"seed no password", "", []string{"seed"}, []string{"no password for mlflow-admin@example.com"}},
		{"remove bad e-mail", "", []string{"remove", "not-an-email", "--yes"}, []string{"EMAIL"}},
		{"set-groups unknown", "", []string{"set-groups", "a@example.com", "-g", "ops"}, []string{`"ops"`, "admins, model-approvers, readers"}},
		{"set-groups absent user", "", []string{"set-groups", "a@example.com", "-g", "readers"}, []string{"not in user pool", "users add"}},
		{"set-groups contradiction", "", []string{"set-groups", "a@example.com", "-g", "readers", "--no-groups"}, []string{"contradict"}},
		{"reset absent user", goodPassword, []string{"reset-password", "a@example.com", "--password-stdin"}, []string{"not in user pool"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"users"}, c.args...)
			out, errOut, err := e.onPool(t, stdin(c.in+"\n"), args...)
			if exitCode(err) != 2 {
				t.Fatalf("exit %d, want 2: %v", exitCode(err), err)
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if strings.TrimSpace(c.in) != "" && strings.Contains(out+errOut+err.Error(), c.in) {
				t.Errorf("the password appears in the output")
			}
			if n := e.userCount(t); n != 0 {
				t.Fatalf("%d users exist after a rejected command", n)
			}
		})
	}
}

func TestUsersWithoutAPool(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	e.apiStack(t, "half", false)
	cases := map[string]struct {
		args  []string
		wants []string
	}{
		"no stack":          {[]string{"users", "list"}, []string{"mlflow-api does not exist", "mlflowctl up", "--user-pool-id"}},
		"other deployment":  {[]string{"users", "seed", "--temporary", "--name", "team-x"}, []string{"team-x-api does not exist"}},
		"stack w/o output":  {[]string{"users", "list", "--name", "half"}, []string{"half-api", "has no output UserPoolId", "mlflowctl up"}},
		"pool id not found": {[]string{"users", "list", "--user-pool-id", "us-east-1_gone"}, []string{"us-east-1_gone does not exist"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := e.run(t, nil, c.args...)
			if exitCode(err) != 2 {
				t.Fatalf("exit %d, want 2: %v", exitCode(err), err)
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
	if n := e.userCount(t); n != 0 {
		t.Fatalf("%d users created without a pool", n)
	}
}

// fakeTerminal stands in for a terminal on standard input: it answers
// prompts from a script and records whether each was read without echo.
type fakeTerminal struct {
	answers []string
	prompts []string
}

func (f *fakeTerminal) Read([]byte) (int, error) { return 0, io.EOF }

func (f *fakeTerminal) ReadSecret(_ context.Context, prompt string) (string, error) {
	return f.next("secret: " + prompt)
}

func (f *fakeTerminal) ReadLine(_ context.Context, prompt string) (string, error) {
	return f.next("line: " + prompt)
}

func (f *fakeTerminal) next(prompt string) (string, error) {
	f.prompts = append(f.prompts, prompt)
	if len(f.answers) == 0 {
		return "", io.EOF
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a, nil
}

func TestUsersPromptOnATerminal(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	term := &fakeTerminal{answers: []string{"weak", goodPassword, "Typo-" + goodPassword, goodPassword, goodPassword}}
	out, errOut, err := e.onPool(t, term, "users", "add", "dave@example.com", "-g", "admins")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	want := []string{
		"secret: Password for dave@example.com: ",
		"secret: Password for dave@example.com: ", "secret: Repeat the password: ",
		"secret: Password for dave@example.com: ", "secret: Repeat the password: ",
	}
	if !slices.Equal(term.prompts, want) {
		t.Fatalf("prompts %q", term.prompts)
	}
	if !strings.Contains(errOut, "at least 12 characters") || !strings.Contains(errOut, "passwords differ") {
		t.Fatalf("retries not explained:\n%s", errOut)
	}
	if strings.Contains(out+errOut, goodPassword) || strings.Contains(out+errOut, "weak") {
		t.Fatal("a typed password was echoed")
	}
	if challenge, err := e.login(t, "dave@example.com", goodPassword); err != nil || challenge != "" {
		t.Fatalf("prompted password not set: %q %v", challenge, err)
	}

	giveUp := &fakeTerminal{answers: []string{"weak", "weaker", "weakest"}}
	_, _, err = e.onPool(t, giveUp, "users", "add", "erin@example.com", "-g", "admins")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("three weak passwords: exit %d: %v", exitCode(err), err)
	}
	if _, _, err := e.onPool(t, &fakeTerminal{answers: []string{goodPassword, goodPassword}},
		"users", "reset-password", "dave@example.com"); err != nil {
		t.Fatalf("reset-password by prompt: %v", err)
	}
}

func TestUsersRemove(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	for _, email := range []string{"a@example.com", "b@example.com"} {
		if _, _, err := e.onPool(t, nil, "users", "add", email, "-g", "readers", "--temporary"); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := e.onPool(t, nil, "users", "remove", "a@example.com")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("remove without a terminal or --yes: exit %d: %v", exitCode(err), err)
	}
	no := &fakeTerminal{answers: []string{"n"}}
	if _, errOut, err := e.onPool(t, no, "users", "remove", "a@example.com"); err != nil || !strings.Contains(errOut, "Kept") {
		t.Fatalf("answered no: %v %q", err, errOut)
	}
	kept, _, err := e.onPool(t, &fakeTerminal{answers: []string{""}}, "users", "remove", "a@example.com", "-o", "json")
	if err != nil || !strings.Contains(kept, `"removed": false`) {
		t.Fatalf("answered with Enter (default no): %v %s", err, kept)
	}
	if len(no.prompts) != 1 || !strings.HasPrefix(no.prompts[0], "line: Delete a@example.com (groups: readers)") {
		t.Fatalf("prompts %q", no.prompts)
	}
	if e.userCount(t) != 2 {
		t.Fatal("a user was removed after no")
	}
	out, _, err := e.onPool(t, &fakeTerminal{answers: []string{"yes"}}, "users", "remove", "a@example.com")
	if err != nil || !strings.Contains(out, "Removed a@example.com") || e.userCount(t) != 1 {
		t.Fatalf("answered yes: %v %s", err, out)
	}
	out, _, err = e.onPool(t, nil, "users", "remove", "b@example.com", "--yes", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	checkDocumentedShape(t, e, out, "users", "remove")
	if !strings.Contains(out, `"removed": true`) || e.userCount(t) != 0 {
		t.Fatalf("--yes: %s", out)
	}
	out, _, err = e.onPool(t, nil, "users", "remove", "b@example.com", "-o", "json")
	if err != nil || !strings.Contains(out, `"removed": false`) {
		t.Fatalf("removing again: %v %s", err, out)
	}
}

func TestUsersSetGroups(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	if _, _, err := e.onPool(t, nil, "users", "add", "a@example.com", "-g", "admins,readers", "--temporary"); err != nil {
		t.Fatal(err)
	}
	out, _, err := e.onPool(t, nil, "users", "set-groups", "a@example.com", "-g", "model-approvers", "-g", "readers", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	checkDocumentedShape(t, e, out, "users", "set-groups")
	var r struct{ GroupsAdded, GroupsRemoved, Groups []string }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.GroupsAdded, []string{"model-approvers"}) || !slices.Equal(r.GroupsRemoved, []string{"admins"}) ||
		!slices.Equal(r.Groups, []string{"model-approvers", "readers"}) {
		t.Fatalf("set-groups: %s", out)
	}
	out, _, err = e.onPool(t, nil, "users", "set-groups", "a@example.com", "-g", "readers,model-approvers")
	if err != nil || !strings.Contains(out, "nothing changed") {
		t.Fatalf("again: %v %s", err, out)
	}
	out, _, err = e.onPool(t, nil, "users", "set-groups", "a@example.com", "--no-groups")
	if err != nil || !strings.Contains(out, "removed from model-approvers, readers; now in no group") {
		t.Fatalf("--no-groups: %v %s", err, out)
	}
	list, _, _ := e.onPool(t, nil, "users", "list", "-o", "json")
	if _, users := decodeList(t, list); len(users) != 1 || len(users[0].Groups) != 0 {
		t.Fatalf("after --no-groups: %s", list)
	}
}

func TestUsersResetPassword(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	if _, _, err := e.onPool(t, nil, "users", "add", "a@example.com", "-g", "readers", "--temporary"); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := e.onPool(t, stdin(goodPassword+"\n"), "users", "reset-password", "a@example.com", "--password-stdin", "-v")
	if err != nil || !strings.Contains(out, "Set a new password for a@example.com") || strings.Contains(out+errOut, goodPassword) {
		t.Fatalf("%v\n%s%s", err, out, errOut)
	}
	if challenge, err := e.login(t, "a@example.com", goodPassword); err != nil || challenge != "" {
		t.Fatalf("new password: %q %v", challenge, err)
	}
	out, _, err = e.onPool(t, nil, "users", "reset-password", "a@example.com", "--temporary", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	checkDocumentedShape(t, e, out, "users", "reset-password")
	var r struct{ Password, TemporaryPassword, Status string }
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Password != "temporary" || r.Status != "FORCE_CHANGE_PASSWORD" {
		t.Fatalf("temporary reset: %v %s", err, out)
	}
	if challenge, err := e.login(t, "a@example.com", r.TemporaryPassword); err != nil || challenge != "NEW_PASSWORD_REQUIRED" {
		t.Fatalf("temporary password: %q %v", challenge, err)
	}
	_, _, err = e.onPool(t, stdin("NoSymbolsHere123\n"), "users", "reset-password", "a@example.com", "--password-stdin")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "a symbol") {
		t.Fatalf("weak reset: exit %d %v", exitCode(err), err)
	}
	_, _, err = e.onPool(t, nil, "users", "reset-password", "a@example.com", "--invite")
	if exitCode(err) != 2 {
		t.Fatalf("reset-password has no --invite: exit %d %v", exitCode(err), err)
	}
}

func TestUsersListPagesPastSixty(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	ctx := context.Background()
	const n = 75
	for i := range n {
		email := fmt.Sprintf("user%02d@example.com", i)
		if _, err := e.cip.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
			UserPoolId: &e.pool, Username: &email, MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: &email}},
		}); err != nil {
			t.Fatal(err)
		}
		group := []string{"readers", "admins", "model-approvers"}[i%3]
		if _, err := e.cip.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &e.pool, Username: &email, GroupName: &group}); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := e.onPool(t, nil, "users", "list", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	_, users := decodeList(t, out)
	if len(users) != n {
		t.Fatalf("listed %d users, want %d", len(users), n)
	}
	for i, u := range users {
		want := []string{"readers", "admins", "model-approvers"}[i%3]
		if u.Email != fmt.Sprintf("user%02d@example.com", i) || !slices.Equal(u.Groups, []string{want}) || u.Status != "FORCE_CHANGE_PASSWORD" {
			t.Fatalf("user %d: %+v", i, u)
		}
	}
	text, errOut, err := e.onPool(t, nil, "users", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != n+1 || !strings.HasPrefix(lines[0], "EMAIL") || !strings.Contains(errOut, "75 users") {
		t.Fatalf("text list: %d lines, stderr %q", len(lines), errOut)
	}
	if f := strings.Fields(lines[1]); len(f) != 4 || f[0] != "user00@example.com" || f[1] != "readers" || f[3] != "yes" {
		t.Fatalf("first row %q", lines[1])
	}
}

func TestUsersListEmptyPool(t *testing.T) {
	t.Parallel()
	e := newUsersEnv(t)
	out, _, err := e.onPool(t, nil, "users", "list", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	if _, users := decodeList(t, out); users == nil || len(users) != 0 || !strings.Contains(out, `"users": []`) {
		t.Fatalf("empty pool: %s", out)
	}
}

// checkDocumentedShape compares a command's JSON output with the example
// in its help: the same keys at every level, with the same JSON types.
// temporaryPassword is documented as optional.
func checkDocumentedShape(t *testing.T, e *usersEnv, out string, command ...string) {
	t.Helper()
	help, _, err := e.run(t, nil, append(command, "--help")...)
	if err != nil {
		t.Fatal(err)
	}
	_, doc, ok := strings.Cut(help, "JSON output (-o json):")
	if !ok {
		t.Fatalf("%v --help documents no JSON output", command)
	}
	var documented, actual any
	start := strings.Index(doc, "{")
	if start < 0 {
		t.Fatalf("%v --help: no JSON example after its heading", command)
	}
	if err := json.NewDecoder(strings.NewReader(doc[start:])).Decode(&documented); err != nil {
		t.Fatalf("%v --help: example is not JSON: %v", command, err)
	}
	if err := json.Unmarshal([]byte(out), &actual); err != nil {
		t.Fatalf("%v output is not JSON: %v", command, err)
	}
	if err := sameShape(documented, actual, "$"); err != nil {
		t.Fatalf("%v: output differs from the example in its help: %v\noutput:\n%s", command, err, out)
	}
}

// optionalKeys may be missing from an output although its help shows them.
var optionalKeys = map[string]bool{"temporaryPassword": true}

// sameShape checks that actual has the documented keys at every level,
// no others, and the same JSON types; arrays compare their first elements
// when both have one.
func sameShape(doc, actual any, path string) error {
	switch d := doc.(type) {
	case map[string]any:
		a, ok := actual.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is %T, documented as an object", path, actual)
		}
		for k := range a {
			if _, ok := d[k]; !ok {
				return fmt.Errorf("%s.%s is not documented", path, k)
			}
		}
		for k, dv := range d {
			av, ok := a[k]
			if !ok {
				if optionalKeys[k] {
					continue
				}
				return fmt.Errorf("%s.%s is documented but missing", path, k)
			}
			if err := sameShape(dv, av, path+"."+k); err != nil {
				return err
			}
		}
		return nil
	case []any:
		a, ok := actual.([]any)
		if !ok {
			return fmt.Errorf("%s is %T, documented as an array", path, actual)
		}
		if len(d) > 0 && len(a) > 0 {
			return sameShape(d[0], a[0], path+"[0]")
		}
		return nil
	}
	if fmt.Sprintf("%T", doc) != fmt.Sprintf("%T", actual) {
		return fmt.Errorf("%s is %T, documented as %T", path, actual, doc)
	}
	return nil
}
