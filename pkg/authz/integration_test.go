package authz

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

func TestMain(m *testing.M) { mototest.Main(m) }

const testStage = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod"

// cognitoPool is a user pool in moto with the default groups and one user
// per interesting membership, and real RS256 tokens for each.
type cognitoPool struct {
	id, client string
	tokens     map[string]string // user → access token
}

func newCognitoPool(t *testing.T, endpoint string) cognitoPool {
	t.Helper()
	ctx := context.Background()
	awsCfg, err := awsx.Load(ctx, awsx.Options{Region: mototest.Region, EndpointURL: endpoint, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	c := cip.NewFromConfig(awsCfg)
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("mlflow-users")})
	if err != nil {
		t.Fatal(err)
	}
	p := cognitoPool{id: *pool.UserPool.Id, tokens: map[string]string{}}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("mlflow-ui"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.client = *client.UserPoolClient.ClientId
	for _, g := range append(config.Defaults().GroupNames(), "data-scientists") {
		if _, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &p.id, GroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	users := map[string][]string{
		"admin@example.com":    {"admins"},
		"reader@example.com":   {"readers"},
		"approver@example.com": {"model-approvers"},
		"both@example.com":     {"readers", "model-approvers"},
		"nogroup@example.com":  nil,
		"other@example.com":    {"data-scientists"},
	}
	const password = "Correct-Horse-9-Battery"
	for user, groups := range users {
		if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &p.id, Username: aws.String(user), MessageAction: types.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &p.id, Username: aws.String(user), Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &p.id, Username: aws.String(user), GroupName: aws.String(g)}); err != nil {
				t.Fatal(err)
			}
		}
		auth, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: &p.client, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password},
		})
		if err != nil {
			t.Fatal(err)
		}
		p.tokens[user] = *auth.AuthenticationResult.AccessToken
	}
	return p
}

type driverAnswer struct {
	Answer *struct {
		PrincipalID    string `json:"principalId"`
		PolicyDocument struct {
			Statement []struct {
				Effect   string
				Resource []string
			}
		} `json:"policyDocument"`
		Context map[string]string `json:"context"`
	} `json:"answer"`
	Error string `json:"error"`
}

// runAuthorizer runs the real handler in node (testdata/drive.mjs) against
// moto's JWKS and returns its answers.
func runAuthorizer(t *testing.T, input map[string]any) []driverAnswer {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH")
		}
		t.Skip("node is not on PATH")
	}
	body, _ := json.Marshal(input)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("..", "..", "templates", "authorizer", "testdata", "drive.mjs"))
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("authorizer driver: %v\n%s", err, stderr.String())
	}
	for _, tok := range input["tokens"].(map[string]string) {
		if strings.Contains(stderr.String(), strings.Split(tok, ".")[2]) {
			t.Fatal("the authorizer logged a token")
		}
	}
	var answers []driverAnswer
	if err := json.Unmarshal(out, &answers); err != nil {
		t.Fatalf("driver output: %v\n%s", err, out)
	}
	return answers
}

// gatewayAllows evaluates an authorizer answer as API Gateway does: an
// explicit deny wins, else an Allow statement must match the method ARN.
func gatewayAllows(a driverAnswer, methodArn string) bool {
	if a.Answer == nil {
		return false
	}
	allow := false
	for _, s := range a.Answer.PolicyDocument.Statement {
		for _, r := range s.Resource {
			if Match(r, methodArn) {
				if s.Effect == "Deny" {
					return false
				}
				allow = true
			}
		}
	}
	return allow
}

// TestAuthorizerWithMotoCognito signs users in against moto and runs the
// authorizer on their real tokens with moto's JWKS.
func TestAuthorizerWithMotoCognito(t *testing.T) {
	srv := mototest.Start(t)
	pool := newCognitoPool(t, srv.URL)
	type call struct {
		user, method, path string
		want               bool
	}
	calls := []call{
		{"admin@example.com", "POST", "/ajax-api/2.0/mlflow/experiments/create", true},
		{"admin@example.com", "DELETE", "/ajax-api/2.0/mlflow/webhooks/wh-1", true},
		{"reader@example.com", "GET", "/ajax-api/2.0/mlflow/experiments/get", true},
		{"reader@example.com", "POST", "/ajax-api/2.0/mlflow/runs/search", true},
		{"reader@example.com", "GET", "/get-artifact", true},
		{"reader@example.com", "GET", "/ajax-api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/model/MLmodel", true},
		{"reader@example.com", "POST", "/ajax-api/2.0/mlflow/runs/create", false},
		{"reader@example.com", "PUT", "/ajax-api/2.0/mlflow-artifacts/artifacts/1/r/x", false},
		{"reader@example.com", "POST", "/ajax-api/2.0/mlflow/registered-models/create", false},
		{"approver@example.com", "POST", "/ajax-api/2.0/mlflow/registered-models/create", true},
		{"approver@example.com", "PATCH", "/ajax-api/2.0/mlflow/model-versions/update", true},
		{"approver@example.com", "DELETE", "/ajax-api/2.0/mlflow/registered-models/alias", true},
		{"approver@example.com", "POST", "/ajax-api/2.0/mlflow/runs/log-batch", false},
		{"approver@example.com", "POST", "/ajax-api/3.0/mlflow/workspaces", false},
		{"both@example.com", "PATCH", "/ajax-api/2.0/mlflow/model-versions/update", true},
		{"both@example.com", "GET", "/model-versions/get-artifact", true},
		{"nogroup@example.com", "GET", "/ajax-api/2.0/mlflow/experiments/get", false},
		{"other@example.com", "GET", "/ajax-api/2.0/mlflow/experiments/get", false},
	}
	// The UI's resources are behind the Cookie authorizer, so the token
	// travels in the login script's cookie (pkg/stacks.AuthSources; not
	// imported here, stacks imports authz).
	cookie := func(token string) map[string]string {
		return map[string]string{"Cookie": "theme=dark; mlflow-request-header-Authorization=" + url.PathEscape("Bearer "+token)}
	}
	var events []map[string]any
	for _, c := range calls {
		events = append(events, map[string]any{"type": "REQUEST", "methodArn": testStage + "/" + c.method + c.path, "resource": "/{proxy+}", "headers": cookie(pool.tokens[c.user])})
	}
	// A header on the cookie authorizer's path is not looked at: the cache
	// is keyed on the cookie (issue 17's poisoning).
	events = append(events, map[string]any{"methodArn": testStage + "/GET/", "resource": "/", "headers": map[string]string{"Authorization": "Bearer " + pool.tokens["admin@example.com"], "Cookie": "theme=dark"}})
	events = append(events, map[string]any{"methodArn": testStage + "/GET/", "resource": "/", "headers": cookie(pool.tokens["reader@example.com"] + "x")})
	u, _ := url.Parse(srv.URL)
	answers := runAuthorizer(t, map[string]any{
		"userPoolId": pool.id, "appClientId": pool.client, "tokenUse": "access",
		"jwksUrl": u.JoinPath(pool.id, ".well-known", "jwks.json").String(),
		"events":  events, "tokens": pool.tokens,
		"sources": `[{"prefix":"/","source":"cookie:mlflow-request-header-Authorization"}]`,
	})
	if len(answers) != len(events) {
		t.Fatalf("%d answers for %d events", len(answers), len(events))
	}
	for i, c := range calls {
		a := answers[i]
		if a.Error != "" {
			t.Errorf("%s %s %s: authorizer error %q (want a policy)", c.user, c.method, c.path, a.Error)
			continue
		}
		if got := gatewayAllows(a, testStage+"/"+c.method+c.path); got != c.want {
			t.Errorf("%s %s %s: allowed=%v, want %v", c.user, c.method, c.path, got, c.want)
		}
		if a.Answer.PrincipalID != c.user || a.Answer.Context["username"] != c.user {
			t.Errorf("%s: principal %q context %v", c.user, a.Answer.PrincipalID, a.Answer.Context)
		}
	}
	if a := answers[len(answers)-2]; a.Error != "Unauthorized" {
		t.Errorf("an admin's header with an unrelated cookie got %+v, want Unauthorized", a)
	}
	if last := answers[len(answers)-1]; last.Error != "Unauthorized" {
		t.Errorf("a token with a broken signature got %+v, want Unauthorized", last)
	}
}
