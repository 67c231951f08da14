package cognito

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// motoClients starts (or resets) moto and returns clients pointed at it.
func motoClients(t *testing.T) (*cip.Client, *cloudformation.Client) {
	t.Helper()
	srv := mototest.Start(t)
	cfg, err := awsx.Load(context.Background(), awsx.Options{Region: mototest.Region, EndpointURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return cip.NewFromConfig(cfg), cloudformation.NewFromConfig(cfg)
}

var strictPolicy = &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
	MinimumLength: aws.Int32(12), RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true,
}}

// makePool creates a pool with the strict policy and the given groups.
func makePool(t *testing.T, c *cip.Client, groups ...string) string {
	t.Helper()
	ctx := context.Background()
	out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("mlflow-user-pool"), Policies: strictPolicy})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.UserPool.Id)
	for _, g := range groups {
		if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(id), GroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// apiStackTemplate stands in for the real api stack: moto's CloudFormation
// cannot create Cognito resources, so the pool id comes in as a parameter
// and goes out under the output key the real template uses.
const apiStackTemplate = `{
  "Parameters": {"PoolId": {"Type": "String"}},
  "Resources": {"Marker": {"Type": "AWS::SSM::Parameter",
    "Properties": {"Name": "/mlflowctl-test/%[1]s", "Type": "String", "Value": {"Ref": "PoolId"}}}},
  "Outputs": {%[2]s}
}`

func makeAPIStack(t *testing.T, cfn *cloudformation.Client, deployment, poolID string, withOutput bool) {
	t.Helper()
	outputs := ""
	if withOutput {
		outputs = `"UserPoolId": {"Value": {"Ref": "PoolId"}}`
	}
	_, err := cfn.CreateStack(context.Background(), &cloudformation.CreateStackInput{
		StackName:    aws.String(APIStackName(deployment)),
		TemplateBody: aws.String(fmt.Sprintf(apiStackTemplate, deployment, outputs)),
		Parameters:   []cftypes.Parameter{{ParameterKey: aws.String("PoolId"), ParameterValue: aws.String(poolID)}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFindUserPoolID(t *testing.T) {
	c, cfn := motoClients(t)
	ctx := context.Background()
	id := makePool(t, c, "admins")
	makeAPIStack(t, cfn, "team-a", id, true)
	makeAPIStack(t, cfn, "team-b", id, false)

	got, err := FindUserPoolID(ctx, cfn, "team-a")
	if err != nil || got != id {
		t.Fatalf("FindUserPoolID = %q, %v; want %q", got, err, id)
	}
	for deployment, why := range map[string]string{
		"team-b": "has no output UserPoolId",
		"nope":   "stack nope-api does not exist",
	} {
		_, err := FindUserPoolID(ctx, cfn, deployment)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "mlflowctl up") {
			t.Errorf("%s: want an InputError saying %q and to run mlflowctl up, got %v", deployment, why, err)
		}
	}
}

func TestLoadPoolReadsPolicyAndGroups(t *testing.T) {
	c, _ := motoClients(t)
	id := makePool(t, c, "readers", "admins", "model-approvers")
	pool, err := LoadPool(context.Background(), c, id)
	if err != nil {
		t.Fatal(err)
	}
	want := PasswordPolicy{MinLength: 12, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true}
	if pool.Policy != want || !slices.Equal(pool.Groups, []string{"admins", "model-approvers", "readers"}) {
		t.Fatalf("pool = %+v", pool)
	}
	_, err = pool.CheckGroups([]string{"admins", "writers", "ops"})
	if err == nil || !strings.Contains(err.Error(), `"writers", "ops"`) || !strings.Contains(err.Error(), "admins, model-approvers, readers") {
		t.Fatalf("unknown groups: %v", err)
	}
	got, err := pool.CheckGroups([]string{"readers", "admins", "readers"})
	if err != nil || !slices.Equal(got, []string{"readers", "admins"}) {
		t.Fatalf("CheckGroups = %v, %v", got, err)
	}
	_, err = LoadPool(context.Background(), c, "us-east-1_doesnotexist")
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("missing pool: want InputError, got %v", err)
	}
}

func TestDirectoryLifecycle(t *testing.T) {
	c, _ := motoClients(t)
	ctx := context.Background()
	pool, err := LoadPool(ctx, c, makePool(t, c, "admins", "readers", "model-approvers"))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDirectory(c, pool)

	if _, err := d.Create(ctx, "weak@example.com", Credentials{Password: "weak"}); err == nil {
		t.Fatal("weak password accepted")
	}
	if _, found, _ := d.Lookup(ctx, "weak@example.com"); found {
		t.Fatal("a weak password still created the user")
	}

	u, err := d.Create(ctx, "alice@example.com", Credentials{Password: "Correct-Horse-42"})
	if err != nil || u.Status != "CONFIRMED" {
		t.Fatalf("create: %+v, %v", u, err)
	}
	added, err := d.AddToGroups(ctx, &u, []string{"readers", "admins"})
	if err != nil || !slices.Equal(added, []string{"readers", "admins"}) {
		t.Fatalf("add groups: %v, %v", added, err)
	}
	again, err := d.AddToGroups(ctx, &u, []string{"readers"})
	if err != nil || len(again) != 0 {
		t.Fatalf("re-adding changed %v (%v)", again, err)
	}
	got, found, err := d.Lookup(ctx, "alice@example.com")
	if err != nil || !found || !slices.Equal(got.Groups, []string{"admins", "readers"}) || got.Email != "alice@example.com" || !got.Enabled {
		t.Fatalf("lookup: %+v %v %v", got, found, err)
	}
	added, removed, err := d.SetGroups(ctx, &got, []string{"model-approvers", "readers"})
	if err != nil || !slices.Equal(added, []string{"model-approvers"}) || !slices.Equal(removed, []string{"admins"}) {
		t.Fatalf("set groups: +%v -%v %v", added, removed, err)
	}
	got, _, _ = d.Lookup(ctx, "alice@example.com")
	if !slices.Equal(got.Groups, []string{"model-approvers", "readers"}) {
		t.Fatalf("after set-groups: %v", got.Groups)
	}

	temp, err := pool.Policy.Generate()
	if err != nil {
		t.Fatal(err)
	}
	bob, err := d.Create(ctx, "bob@example.com", Credentials{Password: temp, Temporary: true})
	if err != nil || bob.Status != "FORCE_CHANGE_PASSWORD" {
		t.Fatalf("temporary: %+v %v", bob, err)
	}
	if err := d.SetPassword(ctx, bob, "Another-Good-Pass-7", false); err != nil {
		t.Fatal(err)
	}
	bob, _, _ = d.Lookup(ctx, "bob@example.com")
	if bob.Status != "CONFIRMED" {
		t.Fatalf("after a permanent password: %s", bob.Status)
	}

	if err := d.Delete(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := d.Lookup(ctx, "bob@example.com"); found {
		t.Fatal("bob still exists")
	}
}

func TestListPagesThroughUsersAndGroups(t *testing.T) {
	c, _ := motoClients(t)
	ctx := context.Background()
	pool, err := LoadPool(ctx, c, makePool(t, c, "admins", "readers"))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDirectory(c, pool)
	const n = 130 // more than two pages of 60
	for i := range n {
		email := fmt.Sprintf("user%03d@example.com", i)
		u, err := d.Create(ctx, email, Credentials{Password: "Plenty-Strong-1"})
		if err != nil {
			t.Fatal(err)
		}
		groups := []string{"readers"}
		if i%2 == 0 {
			groups = append(groups, "admins")
		}
		if _, err := d.AddToGroups(ctx, &u, groups); err != nil {
			t.Fatal(err)
		}
	}
	users, err := d.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != n {
		t.Fatalf("listed %d users, want %d", len(users), n)
	}
	for i, u := range users {
		want := []string{"readers"}
		if i%2 == 0 {
			want = []string{"admins", "readers"}
		}
		if u.Email != fmt.Sprintf("user%03d@example.com", i) || !slices.Equal(u.Groups, want) || u.Status != "CONFIRMED" {
			t.Fatalf("user %d = %+v, want groups %v", i, u, want)
		}
	}
}

func TestGroupListsPagePastSixty(t *testing.T) {
	c, _ := motoClients(t)
	ctx := context.Background()
	var names []string
	for i := range 65 {
		names = append(names, fmt.Sprintf("team-%02d", i))
	}
	pool, err := LoadPool(ctx, c, makePool(t, c, names...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pool.Groups, names) {
		t.Fatalf("LoadPool found %d groups, want 65", len(pool.Groups))
	}
	d := NewDirectory(c, pool)
	u, err := d.Create(ctx, "many@example.com", Credentials{Password: "Plenty-Strong-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddToGroups(ctx, &u, names); err != nil {
		t.Fatal(err)
	}
	got, _, err := d.Lookup(ctx, "many@example.com")
	if err != nil || !slices.Equal(got.Groups, names) {
		t.Fatalf("Lookup found %d groups (%v), want 65", len(got.Groups), err)
	}
	added, removed, err := d.SetGroups(ctx, &got, names[:1])
	if err != nil || len(added) != 0 || len(removed) != 64 {
		t.Fatalf("SetGroups to one of 65: +%d -%d %v", len(added), len(removed), err)
	}
}

func TestDemoUsersUseTheDefaultGroups(t *testing.T) {
	defaults := config.Defaults().GroupNames()
	users := DemoUsers("corp.example")
	if len(users) != 3 {
		t.Fatalf("%d demo users", len(users))
	}
	want := map[string]string{
		"mlflow-admin@corp.example":          "admins",
		"mlflow-reader@corp.example":         "readers",
		"mlflow-model-approver@corp.example": "model-approvers",
	}
	for _, u := range users {
		if want[u.Email] != u.Group || !slices.Contains(defaults, u.Group) {
			t.Errorf("demo user %+v (default groups %v)", u, defaults)
		}
	}
}
