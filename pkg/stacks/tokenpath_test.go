package stacks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
)

// The SDK token path <tracking URI>/t mirrors every AWS_IAM route, each
// CUSTOM with the Authorization-header authorizer, to the same backend.
// API Gateway caches a REQUEST authorizer's answer under its identity
// sources only, so the function must read the token from that source:
// "the identity sources are used as the cache key"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html).
func TestTokenPathMirrorsTheSDKRoutes(t *testing.T) {
	for _, v := range variants() {
		tpl := parsed(t, mustStack(t, render(t, v.cfg), API))
		sdk, token := map[string]string{}, map[string]string{}
		for _, r := range tpl.Resources {
			if r.Type != "AWS::ApiGateway::Method" {
				continue
			}
			p := methodPath(tpl, r)
			uri := fmt.Sprint(r.Properties["Integration"].(map[string]any)["Uri"])
			switch {
			case r.Properties["AuthorizationType"] == "AWS_IAM":
				sdk[p] = uri
			case strings.HasPrefix(p, TokenPathPrefix+"/"):
				if refName(r.Properties["AuthorizerId"]) != "TokenAuthorizer" {
					t.Errorf("%s: %s uses %v", v.name, p, r.Properties["AuthorizerId"])
				}
				token[strings.TrimPrefix(p, TokenPathPrefix)] = uri
			}
		}
		if len(sdk) == 0 || len(sdk) != len(token) {
			t.Errorf("%s: %d SDK routes, %d token-path routes", v.name, len(sdk), len(token))
		}
		for p, uri := range sdk {
			if token[p] != uri {
				t.Errorf("%s: /t%s goes to %q, /%s to %q", v.name, p, token[p], p, uri)
			}
		}
		a := tpl.Resources["TokenAuthorizer"].Properties
		if a["Type"] != "REQUEST" || a["IdentitySource"] != "method.request.header.Authorization" ||
			a["AuthorizerResultTtlInSeconds"] != tpl.Resources["Authorizer"].Properties["AuthorizerResultTtlInSeconds"] ||
			a["AuthorizerUri"] == nil || fmt.Sprint(a["AuthorizerUri"]) != fmt.Sprint(tpl.Resources["Authorizer"].Properties["AuthorizerUri"]) {
			t.Errorf("%s: token authorizer %v", v.name, a)
		}
		// Lambda checks the permission's SourceArn per authorizer:
		// each authorizer needs its own (or a wildcard) grant.
		if !strings.Contains(fmt.Sprint(tpl.Resources["TokenAuthorizerPermission"].Properties["SourceArn"]), "/authorizers/${TokenAuthorizer}") {
			t.Errorf("%s: no invoke permission for the token authorizer", v.name)
		}
	}
}

// The function reads each path's token from its authorizer's identity
// source (contract with the authorizer, issue 17): /t/ from the header,
// the rest from the UI's cookie.
func TestAuthorizerSourcesMatchTheIdentitySources(t *testing.T) {
	tpl := parsed(t, mustStack(t, render(t, variants()[0].cfg), API))
	env := tpl.Resources["AuthorizerFunction"].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	var got []AuthSource
	if err := json.Unmarshal([]byte(fmt.Sprint(env[EnvAuthSources])), &got); err != nil {
		t.Fatalf("%s %v: %v", EnvAuthSources, env[EnvAuthSources], err)
	}
	want := []AuthSource{{"/t/", "header:Authorization"}, {"/", "cookie:mlflow-request-header-Authorization"}}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", EnvAuthSources, got, want)
	}
}

// `mlflowctl login` redirects to fixed loopback URLs; Cognito accepts a
// redirect_uri only when it equals a registered callback URL, and
// http:// only for localhost.
// https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-client-apps.html
func TestAppClientRegistersTheCLICallbacks(t *testing.T) {
	tpl := parsed(t, mustStack(t, render(t, variants()[0].cfg), API))
	cbs := fmt.Sprint(tpl.Resources["UserPoolClient"].Properties["CallbackURLs"])
	for _, u := range CLICallbackURLs {
		if !strings.Contains(cbs, u) || !strings.HasPrefix(u, "http://localhost:") {
			t.Errorf("callback %s not registered (or not localhost): %s", u, cbs)
		}
	}
}

// TestTokenPathPrefixIsAuthz's: the api stack's /t resources and the
// authorizer's token-path statements must agree on the prefix.
func TestTokenPathPrefixIsAuthzs(t *testing.T) {
	if TokenPathPrefix != authz.TokenPrefix {
		t.Fatalf("stacks.TokenPathPrefix %q, authz.TokenPrefix %q", TokenPathPrefix, authz.TokenPrefix)
	}
}
