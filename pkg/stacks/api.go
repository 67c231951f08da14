package stacks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// Parameters of the api stack.
const (
	ParamNlbArn            = "NlbArn"
	ParamNlbDNSName        = "NlbDnsName"
	ParamAssetsBucket      = "AssetsBucket"
	ParamAuthorizerCodeKey = "AuthorizerCodeKey"
	ParamDeployBucket      = "DeployBucket"
)

// Outputs of the api stack beyond those in outputs.go.
const (
	OutUserPoolArn          = "UserPoolArn"
	OutAmplifyDefaultDomain = "AmplifyDefaultDomain"
	OutAuthorizerFunction   = "AuthorizerFunctionName"
)

// Authorizer environment variable names (templates/authorizer/README.md).
const (
	EnvUserPoolID  = "USER_POOL_ID"
	EnvAppClientID = "APP_CLIENT_ID"
	EnvTokenUse    = "TOKEN_USE"
	// EnvAuthSources tells the authorizer where each path's token is: the
	// identity source of the API Gateway authorizer that serves the path
	// (API Gateway caches the answer under that source alone).
	EnvAuthSources = "AUTH_SOURCES"
)

// TokenPathPrefix is the base path of the SDK token path: <tracking
// URI>/t/api/... carries "Authorization: Bearer <Cognito token>" and is
// decided by TokenAuthorizer (the same function as the UI's authorizer).
const TokenPathPrefix = authz.TokenPrefix

// CLICallbackURLs are the loopback redirects of `mlflowctl login`
// (pkg/login.CallbackPorts), registered on the UI's app client: Cognito
// matches callback URLs exactly, port included, and accepts http:// only
// for localhost. The same client keeps one client id for the authorizer.
// https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-client-apps.html
var CLICallbackURLs = []string{
	"http://localhost:38917/callback",
	"http://localhost:38918/callback",
	"http://localhost:38919/callback",
}

// UICookie is the cookie the login script sets and the UI path's
// authorizer is keyed on (its identity source).
const UICookie = "mlflow-request-header-Authorization"

// AuthSource tells the authorizer function which identity source the API
// Gateway authorizer bound to the resources under Prefix is configured
// with: the function reads the token from there alone, because API
// Gateway caches its answer under that source's value and nothing else.
type AuthSource struct {
	Prefix string `json:"prefix"`
	Source string `json:"source"`
}

// AuthSources is the function's AUTH_SOURCES: every resource the Cookie
// authorizer guards is keyed on the UI cookie; the SDK token path under
// /t/ (authz.TokenPrefix) is keyed on the Authorization header. The /t/
// entry also tells the function that the token path's patterns in
// policy.json are not the UI's, so the UI's answer leaves them out (and
// stays under authz.AnswerLimit); with no /t/ resource it matches nothing.
func AuthSources() []AuthSource {
	return []AuthSource{
		{Prefix: TokenPathPrefix + "/", Source: "header:Authorization"},
		{Prefix: "/", Source: "cookie:" + UICookie},
	}
}

type apiResource struct{ LogicalID, Parent, PathPart, Path string }

type apiMethod struct {
	LogicalID, Resource, Path, Auth string
	Port                            int
	TargetPath                      string
	Proxy                           bool
	// Authorizer is the logical id of a CUSTOM method's authorizer.
	Authorizer string
}

// Target names the backend for the progress label.
func (m apiMethod) Target() string { return fmt.Sprintf("port %d", m.Port) }

type cognitoGroup struct {
	LogicalID, Name string
	Classes         []string
	Precedence      int
}

type rewrite struct{ Source, Target string }

type ssmParam struct{ LogicalID, Name, Description, Value string }

type apiData struct {
	common
	Resources        []apiResource
	Methods          []apiMethod
	DeploymentID     string
	AccessLogFormat  string
	AuthorizerEnv    []envVar
	MFAConfiguration string
	DomainPrefix     string
	Groups           []cognitoGroup
	Rewrites         []rewrite
	CustomHeaders    string
	SSM              []ssmParam
	RestAPIURL       string
	UIURL            string
	CallbackURLs     []string
}

const (
	restAPIURL = `!Sub "https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod/"`
	uiURL      = `!Sub "https://main.${AmplifyApp.DefaultDomain}"`
)

func newAPIData(cfg config.Config) apiData {
	d := apiData{
		common:           common{Config: cfg, Stack: API},
		DeploymentID:     "Deployment",
		AccessLogFormat:  accessLogFormat,
		MFAConfiguration: map[string]string{"off": "OFF", "optional": "OPTIONAL", "on": "ON"}[cfg.Cognito.MFA],
		DomainPrefix:     domainPrefix(cfg.Name),
		RestAPIURL:       restAPIURL,
		UIURL:            uiURL,
		CustomHeaders:    customHeaders,
		AuthorizerEnv: []envVar{
			{EnvUserPoolID, "!Ref UserPool"},
			{EnvAppClientID, "!Ref UserPoolClient"},
			{EnvTokenUse, quote(cfg.Authorizer.TokenUse)},
			{EnvAuthSources, quote(mustJSON(AuthSources()))},
		},
		CallbackURLs: CLICallbackURLs,
	}
	if d.MFAConfiguration == "" {
		d.MFAConfiguration = "OFF"
	}
	d.Resources, d.Methods = routes(cfg)
	d.Resources, d.Methods = withTokenPath(d.Resources, d.Methods)
	for _, g := range cfg.Groups {
		d.Groups = append(d.Groups, cognitoGroup{LogicalID: "Group" + logicalName(g.Name), Name: g.Name, Classes: g.Classes, Precedence: g.Precedence})
	}
	api := `https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod/`
	d.Rewrites = []rewrite{{"/static-files/<*>", quote("/<*>")}}
	for _, p := range []string{"/ajax-api/<*>", "/get-artifact", "/model-versions/get-artifact", "/graphql"} {
		d.Rewrites = append(d.Rewrites, rewrite{p, "!Sub " + quote(api+strings.TrimPrefix(p, "/"))})
	}
	d.SSM = []ssmParam{
		{"SsmRestApiID", cfg.Name + "-restApiId", "MLflow REST API id", "!Ref RestApi"},
		{"SsmRestApiURL", cfg.Name + "-restApiUrl", "MLflow tracking URI for SigV4 clients", restAPIURL},
		{"SsmUIURL", cfg.Name + "-uiUrl", "MLflow UI", uiURL},
		{"SsmDeployBucket", cfg.Name + "-deploy-bucket", "Bucket for SageMaker model deployments", "!Ref DeployBucket"},
	}
	return d
}

// routes is the seed's resource tree: UI paths through the authorizer,
// SDK paths (and the AI gateway's) with AWS_IAM.
func routes(cfg config.Config) ([]apiResource, []apiMethod) {
	root := "!GetAtt RestApi.RootResourceId"
	res := []apiResource{
		{"ProxyResource", root, "{proxy+}", "/{proxy+}"},
		{"ApiResource", root, "api", "/api"},
		{"ApiProxyResource", "!Ref ApiResource", "{proxy+}", "/api/{proxy+}"},
		{"VersionResource", root, "version", "/version"},
	}
	ms := []apiMethod{
		{"RootMethod", root, "/", "CUSTOM", serverListenerPort, "/", false, "Authorizer"},
		{"ProxyMethod", "!Ref ProxyResource", "/{proxy+}", "CUSTOM", serverListenerPort, "/{proxy}", true, "Authorizer"},
		{"ApiProxyMethod", "!Ref ApiProxyResource", "/api/{proxy+}", "AWS_IAM", serverListenerPort, "/api/{proxy}", true, ""},
		// The SDK reads the server version (and may check health) with
		// SigV4; these root paths are its, not the UI's.
		{"VersionMethod", "!Ref VersionResource", "/version", "AWS_IAM", serverListenerPort, "/version", false, ""},
		{"HealthMethod", "!Ref HealthResource", "/health", "AWS_IAM", serverListenerPort, "/health", false, ""},
	}
	res = append(res, apiResource{"HealthResource", root, "health", "/health"})
	if config.Major(cfg.MLflowVersion) >= 3 {
		// OTLP trace ingest from SDKs and OpenTelemetry exporters.
		res = append(res,
			apiResource{"V1Resource", root, "v1", "/v1"},
			apiResource{"V1TracesResource", "!Ref V1Resource", "traces", "/v1/traces"})
		ms = append(ms, apiMethod{"V1TracesMethod", "!Ref V1TracesResource", "/v1/traces", "AWS_IAM", serverListenerPort, "/v1/traces", false, ""})
	}
	switch {
	case cfg.UsesSeparateGateway():
		res = append(res,
			apiResource{"Api20Resource", "!Ref ApiResource", "2.0", "/api/2.0"},
			apiResource{"EndpointsApiResource", "!Ref Api20Resource", "endpoints", "/api/2.0/endpoints"},
			apiResource{"EndpointsApiProxyResource", "!Ref EndpointsApiResource", "{proxy+}", "/api/2.0/endpoints/{proxy+}"},
			apiResource{"EndpointsResource", root, "endpoints", "/endpoints"},
			apiResource{"EndpointsProxyResource", "!Ref EndpointsResource", "{proxy+}", "/endpoints/{proxy+}"})
		ms = append(ms,
			apiMethod{"EndpointsApiMethod", "!Ref EndpointsApiResource", "/api/2.0/endpoints", "AWS_IAM", gatewayListenerPort, "/api/2.0/endpoints/", false, ""},
			apiMethod{"EndpointsApiProxyMethod", "!Ref EndpointsApiProxyResource", "/api/2.0/endpoints/{proxy+}", "AWS_IAM", gatewayListenerPort, "/api/2.0/endpoints/{proxy}", true, ""},
			apiMethod{"EndpointsProxyMethod", "!Ref EndpointsProxyResource", "/endpoints/{proxy+}", "AWS_IAM", gatewayListenerPort, "/endpoints/{proxy}", true, ""})
	case cfg.Gateway.Enabled:
		// From 3.9 the gateway is served by the tracking server itself.
		res = append(res,
			apiResource{"GatewayResource", root, "gateway", "/gateway"},
			apiResource{"GatewayProxyResource", "!Ref GatewayResource", "{proxy+}", "/gateway/{proxy+}"})
		ms = append(ms,
			apiMethod{"GatewayProxyMethod", "!Ref GatewayProxyResource", "/gateway/{proxy+}", "AWS_IAM", serverListenerPort, "/gateway/{proxy}", true, ""})
	}
	return res, ms
}

// withTokenPath mirrors every SDK (AWS_IAM) route under TokenPathPrefix,
// authorized by TokenAuthorizer from the Authorization header and sent to
// the same backend path: <tracking URI>/t works for the stock MLflow
// client with MLFLOW_TRACKING_TOKEN. The UI's routes are not mirrored.
func withTokenPath(res []apiResource, ms []apiMethod) ([]apiResource, []apiMethod) {
	byPath := map[string]string{"/": "!GetAtt RestApi.RootResourceId"}
	for _, r := range res {
		byPath[r.Path] = "!Ref " + r.LogicalID
	}
	tRes := []apiResource{{"TResource", byPath["/"], strings.TrimPrefix(TokenPathPrefix, "/"), TokenPathPrefix}}
	tByPath := map[string]string{"/": "!Ref TResource"}
	// Resources in the order given, which lists parents first.
	for _, r := range res {
		parent := parentPath(r.Path)
		tRes = append(tRes, apiResource{"T" + r.LogicalID, tByPath[parent], r.PathPart, TokenPathPrefix + r.Path})
		tByPath[r.Path] = "!Ref T" + r.LogicalID
	}
	var tMs []apiMethod
	used := map[string]bool{"/": true}
	for _, m := range ms {
		if m.Auth != "AWS_IAM" {
			continue
		}
		for p := m.Path; p != "/"; p = parentPath(p) {
			used[p] = true
		}
		t := m
		t.LogicalID, t.Resource, t.Path = "T"+m.LogicalID, tByPath[m.Path], TokenPathPrefix+m.Path
		t.Auth, t.Authorizer = "CUSTOM", "TokenAuthorizer"
		tMs = append(tMs, t)
	}
	out := []apiResource{tRes[0]}
	for _, r := range tRes[1:] {
		if used[strings.TrimPrefix(r.Path, TokenPathPrefix)] {
			out = append(out, r)
		}
	}
	return append(res, out...), append(ms, tMs...)
}

func parentPath(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]+`)

// logicalName turns a group name into a CloudFormation logical-id part.
func logicalName(s string) string {
	parts := nonAlnum.Split(s, -1)
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	out := strings.Join(parts, "")
	if out == "" {
		return "X"
	}
	return out
}

// domainPrefix is the Cognito domain's prefix before the account id; the
// prefix may not contain aws, amazon or cognito.
func domainPrefix(name string) string {
	for _, w := range []string{"aws", "amazon", "cognito"} {
		if strings.Contains(name, w) {
			return "mlflowctl-" + hash8([]byte(name))
		}
	}
	return name + "-mlflow"
}

const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.user","principal":"$context.authorizer.principalId","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","path":"$context.path","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","latency":"$context.responseLatency","integrationStatus":"$context.integration.status","authorizerError":"$context.authorizer.error"}`

const customHeaders = `customHeaders:
  - pattern: '**/*'
    headers:
      - key: Strict-Transport-Security
        value: max-age=31536000; includeSubDomains
      - key: X-Content-Type-Options
        value: nosniff
      - key: Referrer-Policy
        value: same-origin
      - key: Content-Security-Policy
        value: "frame-ancestors 'self' https://*.sagemaker.aws"
`

func apiStack(cfg config.Config) (deploy.Stack, error) {
	d := newAPIData(cfg)
	// Render once to hash the API, then again with the hash in the
	// deployment's logical id, so a changed API gets a new deployment.
	first, err := renderTemplate(API, d)
	if err != nil {
		return deploy.Stack{}, err
	}
	d.DeploymentID = "Deployment" + hash8(first)
	rendered := d.DeploymentID
	tpl, err := renderTemplate(API, d)
	if err != nil {
		return deploy.Stack{}, err
	}
	st := deploy.Stack{
		ID:       API,
		Template: tpl,
		Params:   map[string]string{},
		Imports: []deploy.Import{
			{Param: ParamNlbArn, FromStack: Server, Output: OutNlbArn},
			{Param: ParamNlbDNSName, FromStack: Server, Output: OutNlbDNSName},
			{Param: ParamDeployBucket, FromStack: Server, Output: OutDeployBucket},
			{Param: ParamAssetsBucket, FromStack: Bootstrap, Output: OutAssetsBucket},
			{Param: ParamAuthorizerCodeKey, FromStack: StepAuthorizer, Output: ParamAuthorizerCodeKey},
		},
		DependsOn:    []string{Bootstrap, Server},
		Capabilities: []string{"CAPABILITY_IAM"},
		HoldsData:    cfg.Cognito.DeletionProtection,
		Finalize:     deploymentFollowsBackend(rendered),
	}
	return st, nil
}

// deploymentFollowsBackend renames the API deployment after a hash of the
// template and the NLB it targets: the stage serves a snapshot taken when
// the deployment was created, and a replaced NLB (new ARN, so a new VPC
// link, and a new DNS name in every integration) arrives only as
// parameters, which leave the template text unchanged.
func deploymentFollowsBackend(rendered string) func([]byte, map[string]string) ([]byte, error) {
	return func(tpl []byte, params map[string]string) ([]byte, error) {
		if !bytes.Contains(tpl, []byte(rendered)) {
			return nil, fmt.Errorf("the api template has no deployment %s to rename", rendered)
		}
		backend := params[ParamNlbArn] + "\n" + params[ParamNlbDNSName]
		id := "Deployment" + hash8(append(slices.Clone(tpl), backend...))
		return bytes.ReplaceAll(tpl, []byte(rendered), []byte(id)), nil
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings always marshal
	}
	return string(b)
}
