package stacks

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/stackstest"
	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// stepOutputs are what each step of up outputs (pkg/app runs them).
var stepOutputs = map[string][]string{
	StepImages:     {ParamServerImage, ParamGatewayImage},
	StepAuthorizer: {ParamAuthorizerCodeKey},
}

func TestStacksInDependencyOrderWithImportsFromDependencies(t *testing.T) {
	for _, v := range variants() {
		d := render(t, v.cfg)
		seen := map[string]bool{}
		for _, s := range d.Stacks {
			tpl := parsed(t, s)
			for _, dep := range s.DependsOn {
				if !seen[dep] {
					t.Errorf("%s/%s depends on %s, which is not before it", v.name, s.ID, dep)
				}
			}
			for _, im := range s.Imports {
				if step, ok := stepOutputs[im.FromStack]; ok {
					if !slices.Contains(step, im.Output) {
						t.Errorf("%s/%s imports %s from step %s, which does not output it", v.name, s.ID, im.Output, im.FromStack)
					}
					continue
				}
				if !slices.Contains(s.DependsOn, im.FromStack) {
					t.Errorf("%s/%s imports %s from %s without depending on it", v.name, s.ID, im.Param, im.FromStack)
				}
				if _, ok := tpl.Parameters[im.Param]; !ok {
					t.Errorf("%s/%s imports unknown parameter %s", v.name, s.ID, im.Param)
				}
				from, _ := stackByID(t, d, im.FromStack)
				if _, ok := parsed(t, from).Outputs[im.Output]; !ok {
					t.Errorf("%s/%s imports %s.%s, which that stack does not output", v.name, s.ID, im.FromStack, im.Output)
				}
			}
			seen[s.ID] = true
		}
	}
}

// Every parameter gets a value: from the config, or an import (from a
// stack or a step).
func TestEveryParameterHasASource(t *testing.T) {
	// "" (their default) until mlflowctl rollback sets them; then
	// upgrade.RestoreParams gives an update the values to pass again.
	defaulted := map[string][]string{Server: {"DbSnapshotIdentifier", "DbClusterSuffix"}}
	for _, v := range variants() {
		for _, s := range render(t, v.cfg).Stacks {
			for name := range parsed(t, s).Parameters {
				imported := slices.ContainsFunc(s.Imports, func(i deploy.Import) bool { return i.Param == name })
				if s.Params[name] == "" && !imported && !slices.Contains(defaulted[s.ID], name) {
					t.Errorf("%s/%s: parameter %s has no source", v.name, s.ID, name)
				}
			}
		}
	}
}

func TestOutputsOtherCommandsRead(t *testing.T) {
	want := map[string][]string{
		Bootstrap: {OutAssetsBucket, OutServerRepositoryURI, OutGatewayRepositoryURI, OutPyfuncRepositoryURI, OutCodeBuildProject},
		Server:    {OutVpcID, OutPrivateSubnetIDs, OutArtifactBucket, OutAccessLogBucket, OutNlbArn, OutNlbDNSName, OutDBClusterID, OutMLflowVersion, OutDeployBucket},
		API:       {OutRestAPIID, OutRestAPIURL, OutUserPoolID, OutUserPoolClientID, OutCognitoDomain, OutAmplifyAppID, OutUIURL},
		Studio:    {OutDomainID, OutDomainCreated, OutUserProfiles},
		UI:        {OutAmplifyBranch},
	}
	d := render(t, variants()[0].cfg)
	for id, keys := range want {
		outs := parsed(t, mustStack(t, d, id)).Outputs
		for _, k := range keys {
			if _, ok := outs[k]; !ok {
				t.Errorf("stack %s lacks output %s", id, k)
			}
		}
	}
}

func resourcesOfType(tpl Template, typ string) map[string]Resource {
	out := map[string]Resource{}
	for id, r := range tpl.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

func methodPaths(tpl Template) map[string]string {
	out := map[string]string{}
	for _, r := range resourcesOfType(tpl, "AWS::ApiGateway::Method") {
		uri := fmt.Sprint(r.Properties["Integration"].(map[string]any)["Uri"])
		out[r.Description()] = uri
	}
	return out
}

func TestGatewayFollowsMLflowVersion(t *testing.T) {
	cases := map[string]struct {
		service, port8081, gatewayRoute bool
	}{
		"default":       {service: false, port8081: false, gatewayRoute: true},
		"gateway-off":   {service: false, port8081: false, gatewayRoute: false},
		"mlflow-2.12.2": {service: true, port8081: true, gatewayRoute: false},
	}
	for _, v := range variants() {
		want, ok := cases[v.name]
		if !ok {
			continue
		}
		d := render(t, v.cfg)
		server := tracking(t, d)
		_, hasService := server.Resources["GatewayService"]
		_, hasParam := parsed(t, mustStack(t, d, Services)).Parameters[ParamGatewayImage]
		if hasService != want.service || hasParam != want.service {
			t.Errorf("%s: gateway service %v, image parameter %v; want %v", v.name, hasService, hasParam, want.service)
		}
		paths := methodPaths(parsed(t, mustStack(t, d, API)))
		to8081, gw := false, false
		for desc, uri := range paths {
			to8081 = to8081 || strings.Contains(uri, ":8081")
			gw = gw || strings.HasPrefix(desc, "ANY /gateway/")
		}
		if to8081 != want.port8081 || gw != want.gatewayRoute {
			t.Errorf("%s: routes to 8081 %v, /gateway route %v; want %v, %v\n%v", v.name, to8081, gw, want.port8081, want.gatewayRoute, paths)
		}
		task := server.Resources["ServerTaskDefinition"]
		bedrock := strings.Contains(fmt.Sprint(server.Resources["ServerTaskRole"].Properties), "bedrock:InvokeModel")
		if bedrock != (v.name == "default") {
			t.Errorf("%s: server task role Bedrock rights %v", v.name, bedrock)
		}
		hosts := strings.Contains(fmt.Sprint(task.Properties), "ALLOWED_HOSTS")
		if hosts != (v.cfg.MLflowVersion != "2.12.2") {
			t.Errorf("%s: --allowed-hosts set %v (only MLflow 3.5+ has it)", v.name, hosts)
		}
	}
}

func TestUIPathsUseTheAuthorizerAndSDKPathsIAM(t *testing.T) {
	tpl := parsed(t, mustStack(t, render(t, variants()[0].cfg), API))
	want := map[string]string{"RootMethod": "CUSTOM", "ProxyMethod": "CUSTOM", "ApiProxyMethod": "AWS_IAM", "GatewayProxyMethod": "AWS_IAM",
		"VersionMethod": "AWS_IAM", "HealthMethod": "AWS_IAM", "V1TracesMethod": "AWS_IAM"}
	for id, auth := range want {
		if got := tpl.Resources[id].Properties["AuthorizationType"]; got != auth {
			t.Errorf("%s: %v, want %s", id, got, auth)
		}
	}
	a := tpl.Resources["Authorizer"].Properties
	if a["Type"] != "REQUEST" || a["IdentitySource"] != "method.request.header.Cookie" || a["AuthorizerResultTtlInSeconds"] != 300 {
		t.Errorf("authorizer %v", a)
	}
	if tpl.Resources["RestApi"].Properties["EndpointConfiguration"].(map[string]any)["Types"].([]any)[0] != "REGIONAL" {
		t.Error("REST API is not REGIONAL")
	}
	nat2 := parsed(t, mustStack(t, render(t, variants()[4].cfg), API))
	if nat2.Resources["Authorizer"].Properties["AuthorizerResultTtlInSeconds"] != 0 {
		t.Error("authorizer TTL does not follow authorizer.cacheTtlSeconds")
	}
}

// The app client's callback needs the Amplify domain and the rewrites
// need the API URL: all three live in the api stack, and the rewrites use
// the RestApi id, not the stage, so the graph has no cycle.
func TestAmplifyAndAppClientWithoutCycle(t *testing.T) {
	tpl := parsed(t, mustStack(t, render(t, variants()[0].cfg), API))
	client := fmt.Sprint(tpl.Resources["UserPoolClient"].Properties["CallbackURLs"])
	if !strings.Contains(client, "https://main.${AmplifyApp.DefaultDomain}/") {
		t.Errorf("callback URLs %s", client)
	}
	app := tpl.Resources["AmplifyApp"].Properties
	rules := fmt.Sprint(app["CustomRules"])
	if strings.Contains(rules, "Stage") || strings.Contains(rules, "Deployment") || !strings.Contains(rules, "${RestApi}.execute-api") {
		t.Errorf("rewrites must name the API by id only: %s", rules)
	}
	if app["CacheConfig"].(map[string]any)["Type"] != "AMPLIFY_MANAGED" {
		t.Error("Amplify CacheConfig must be AMPLIFY_MANAGED so the auth cookie reaches the API")
	}
	for _, src := range []string{"/ajax-api/<*>", "/get-artifact", "/model-versions/get-artifact"} {
		if !strings.Contains(rules, "Source:"+src) {
			t.Errorf("no rewrite of %s", src)
		}
	}
	deps := dependencyGraph(tpl)
	if cyc := findCycle(deps); cyc != nil {
		t.Fatalf("cycle in api stack: %v", cyc)
	}
}

// dependencyGraph collects, per resource, the resources it names through
// Ref, GetAtt, ${X} in Sub, and DependsOn.
func dependencyGraph(tpl Template) map[string][]string {
	g := map[string][]string{}
	for id, r := range tpl.Resources {
		var refs []string
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					switch k {
					case "Ref":
						refs = append(refs, fmt.Sprint(e))
					case "Fn::GetAtt":
						refs = append(refs, fmt.Sprint(e.([]any)[0]))
					case "Fn::Sub":
						s := fmt.Sprint(e)
						for _, part := range strings.Split(s, "${")[1:] {
							name := strings.SplitN(strings.SplitN(part, "}", 2)[0], ".", 2)[0]
							refs = append(refs, name)
						}
					}
					walk(e)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			}
		}
		walk(r.Properties)
		walk(map[string]any{"DependsOn": r.DependsOn})
		refs = append(refs, stackstest.AsStrings(r.DependsOn)...)
		for _, ref := range refs {
			if _, ok := tpl.Resources[ref]; ok {
				g[id] = append(g[id], ref)
			}
		}
	}
	return g
}

func findCycle(g map[string][]string) []string {
	state := map[string]int{}
	var stack []string
	var visit func(string) []string
	visit = func(n string) []string {
		state[n] = 1
		stack = append(stack, n)
		for _, m := range g[n] {
			if state[m] == 1 {
				return append(slices.Clone(stack), m)
			}
			if state[m] == 0 {
				if c := visit(m); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = 2
		return nil
	}
	for n := range g {
		if state[n] == 0 {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

func TestNoResourceCycles(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, _ deploy.Stack, tpl Template) {
		if c := findCycle(dependencyGraph(tpl)); c != nil {
			t.Errorf("cycle: %v", c)
		}
	})
}

func TestNetworkFollowsConfig(t *testing.T) {
	for _, v := range variants() {
		server := parsed(t, mustStack(t, render(t, v.cfg), Server))
		nats := resourcesOfType(server, "AWS::EC2::NatGateway")
		if len(nats) != v.cfg.Network.NatGateways {
			t.Errorf("%s: %d NAT gateways, config says %d", v.name, len(nats), v.cfg.Network.NatGateways)
		}
		if len(resourcesOfType(server, "AWS::EC2::Subnet")) != 6 {
			t.Errorf("%s: want 6 subnets", v.name)
		}
		routeB := fmt.Sprint(server.Resources["PrivateDefaultRouteB"].Properties["NatGatewayId"])
		wantNat := map[int]string{1: "NatGatewayA", 2: "NatGatewayB"}[v.cfg.Network.NatGateways]
		if !strings.Contains(routeB, wantNat) {
			t.Errorf("%s: private subnet B routes via %s, want %s", v.name, routeB, wantNat)
		}
		_, flow := server.Resources["FlowLog"]
		if flow != v.cfg.Network.FlowLogs {
			t.Errorf("%s: flow log %v, config %v", v.name, flow, v.cfg.Network.FlowLogs)
		}
		if server.Resources["Vpc"].Properties["CidrBlock"] != v.cfg.Network.CIDR {
			t.Errorf("%s: VPC CIDR %v", v.name, server.Resources["Vpc"].Properties["CidrBlock"])
		}
	}
}

func TestCognitoFollowsConfig(t *testing.T) {
	for _, v := range variants() {
		api := parsed(t, mustStack(t, render(t, v.cfg), API))
		pool := api.Resources["UserPool"].Properties
		wantMFA := map[string]string{"off": "OFF", "optional": "OPTIONAL", "on": "ON"}[v.cfg.Cognito.MFA]
		if pool["MfaConfiguration"] != wantMFA {
			t.Errorf("%s: MFA %v, want %s", v.name, pool["MfaConfiguration"], wantMFA)
		}
		if pool["AdminCreateUserConfig"].(map[string]any)["AllowAdminCreateUserOnly"] != true {
			t.Errorf("%s: self sign-up must be off", v.name)
		}
		wantDP := map[bool]string{true: "ACTIVE", false: "INACTIVE"}[v.cfg.Cognito.DeletionProtection]
		if pool["DeletionProtection"] != wantDP {
			t.Errorf("%s: deletion protection %v", v.name, pool["DeletionProtection"])
		}
		groups := resourcesOfType(api, "AWS::Cognito::UserPoolGroup")
		if len(groups) != len(v.cfg.Groups) {
			t.Errorf("%s: %d groups, config has %d", v.name, len(groups), len(v.cfg.Groups))
		}
		for _, g := range groups {
			i := slices.IndexFunc(v.cfg.Groups, func(c config.Group) bool { return c.Name == g.Properties["GroupName"] })
			if i < 0 || g.Properties["Precedence"] != v.cfg.Groups[i].Precedence {
				t.Errorf("%s: group %v", v.name, g.Properties)
			}
		}
		client := api.Resources["UserPoolClient"].Properties
		if client["GenerateSecret"] != false || fmt.Sprint(client["AllowedOAuthFlows"]) != "[code]" {
			t.Errorf("%s: app client must be code flow without secret: %v", v.name, client)
		}
	}
}

func TestSSMParameterNamesPerDeployment(t *testing.T) {
	names := func(cfg config.Config) []string {
		var out []string
		for _, r := range resourcesOfType(parsed(t, mustStack(t, render(t, cfg), API)), "AWS::SSM::Parameter") {
			out = append(out, r.Properties["Name"].(string))
		}
		slices.Sort(out)
		return out
	}
	def := variants()[0].cfg
	if got := names(def); !slices.Equal(got, []string{"mlflow-deploy-bucket", "mlflow-restApiId", "mlflow-restApiUrl", "mlflow-uiUrl"}) {
		t.Errorf("default deployment must use the seed's names, got %v", got)
	}
	other := def
	other.Name = "team2"
	for _, n := range names(other) {
		if !strings.HasPrefix(n, "team2-") {
			t.Errorf("deployment team2 parameter %s would collide", n)
		}
	}
}

func TestStudioRolesProfilesAndDomain(t *testing.T) {
	for _, v := range variants() {
		// The stand-in matrix gives admins more routes than one managed
		// policy holds, which exercises the split below.
		_, ok := stackByID(t, render(t, v.cfg), Studio)
		if ok != v.cfg.Studio.Enabled {
			t.Fatalf("%s: studio stack present %v, enabled %v", v.name, ok, v.cfg.Studio.Enabled)
		}
		if !ok {
			continue
		}
		s, err := studioStackWith(v.cfg, standInRoleResources)
		if err != nil {
			t.Fatal(err)
		}
		tpl := parsed(t, s)
		_, domain := tpl.Resources["Domain"]
		if domain != (v.cfg.Studio.DomainID == "") {
			t.Errorf("%s: domain resource %v with domainId %q", v.name, domain, v.cfg.Studio.DomainID)
		}
		profiles := resourcesOfType(tpl, "AWS::SageMaker::UserProfile")
		var names []string
		for _, p := range profiles {
			names = append(names, p.Properties["UserProfileName"].(string))
			if !domain && p.Properties["DomainId"] != v.cfg.Studio.DomainID {
				t.Errorf("%s: profile in domain %v", v.name, p.Properties["DomainId"])
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"mlflow-admin", "mlflow-model-approver", "mlflow-reader"}) {
			t.Errorf("%s: profiles %v", v.name, names)
		}
		reader := fmt.Sprint(tpl.Resources["RoleReaders"].Properties["Policies"])
		if strings.Contains(reader, "s3:PutObject") || strings.Contains(reader, "s3:DeleteObject") {
			t.Errorf("%s: readers can write S3", v.name)
		}
		admin := fmt.Sprint(tpl.Resources["RoleAdmins"].Properties["Policies"])
		if !strings.Contains(admin, "s3:PutObject") {
			t.Errorf("%s: admins cannot write artifacts", v.name)
		}
		// The stand-in gives admins more routes than one managed policy
		// holds, so their rights are split; every route is in some part.
		var parts int
		var all []string
		for id, r := range resourcesOfType(tpl, "AWS::IAM::ManagedPolicy") {
			if strings.HasPrefix(id, "RoleAdminsApi") {
				parts++
				all = append(all, fmt.Sprint(r.Properties["PolicyDocument"]))
			}
		}
		want, _ := standInRoleResources(v.cfg.Groups[0].Classes)
		if parts < 2 {
			t.Errorf("%s: admins' %d routes in %d policies", v.name, len(want), parts)
		}
		joined := strings.Join(all, "\n")
		for _, r := range want {
			if !strings.Contains(joined, "/prod/"+r) {
				t.Errorf("%s: admins lack %s", v.name, r)
			}
		}
	}
}

func TestRoleResourcesErrorsStopRendering(t *testing.T) {
	cfg := variants()[0].cfg
	_, err := studioStackWith(cfg, func([]string) ([]string, error) { return nil, errors.New("matrix broken") })
	if err == nil || !strings.Contains(err.Error(), "matrix broken") || !strings.Contains(err.Error(), "admins") {
		t.Fatalf("want the matrix error naming the group, got %v", err)
	}
	many := func([]string) ([]string, error) {
		out := make([]string, 60*maxRolePolicies)
		for i := range out {
			out[i] = fmt.Sprintf("GET/api/2.0/mlflow/a-rather-long-route-name-number-%04d", i)
		}
		return out, nil
	}
	if _, err := studioStackWith(cfg, many); err == nil || !strings.Contains(err.Error(), "managed policies") {
		t.Fatalf("too many routes must be refused, got %v", err)
	}
}

// TestStudioRolesHaveTheMatrixRights: every rendering of the studio stack
// gives each group's role exactly the permission matrix's execute-api
// resources. Before issue 19 a caller that left stacks.Options.RoleResources
// unset got the seed's coarse rights (GET/* for readers, */* for writers and
// admins) without an error, and the CLI's tests deployed that way; Render
// has no such option now, and this test fails on any coarse wildcard.
func TestStudioRolesHaveTheMatrixRights(t *testing.T) {
	for _, v := range variants() {
		s, ok := stackByID(t, render(t, v.cfg), Studio)
		if !ok {
			continue
		}
		for _, problem := range rightsProblems(t, v.cfg, parsed(t, s)) {
			t.Errorf("%s: %s", v.name, problem)
		}
	}
	// The check itself: the seed's coarse rights (what the old fallback
	// shipped) are caught.
	seed := func(classes []string) ([]string, error) {
		if slices.Contains(classes, "write") || slices.Contains(classes, "admin") {
			return []string{"*/*"}, nil
		}
		return []string{"GET/*", "POST/api/2.0/mlflow/runs/search"}, nil
	}
	cfg := variants()[0].cfg
	s, err := studioStackWith(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(rightsProblems(t, cfg, parsed(t, s))) == 0 {
		t.Error("the seed's coarse rights pass the check")
	}
}

// rightsProblems compares each group role's execute-api resources with
// the permission matrix's for its classes.
func rightsProblems(t *testing.T, cfg config.Config, tpl Template) []string {
	t.Helper()
	var problems []string
	for _, g := range cfg.Groups {
		want, err := authz.IAMResources(g.Classes)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for id, r := range resourcesOfType(tpl, "AWS::IAM::ManagedPolicy") {
			if !strings.HasPrefix(id, "Role"+logicalName(g.Name)+"Api") {
				continue
			}
			for _, m := range stageResource.FindAllStringSubmatch(fmt.Sprint(r.Properties["PolicyDocument"]), -1) {
				got = append(got, m[1])
			}
		}
		slices.Sort(got)
		want = slices.Clone(want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			problems = append(problems, fmt.Sprintf("group %s (classes %v) is granted %d execute-api resources %.200v, the matrix gives %d %.200v", g.Name, g.Classes, len(got), got, len(want), want))
		}
	}
	return problems
}

// stageResource finds the route part of an execute-api resource ARN in a
// printed policy document ("…/prod/GET/api/2.0/mlflow/runs/get").
var stageResource = regexp.MustCompile(`/prod/([^ \]\}"]+)`)

// TestImagesComeFromConfigOrTheImagesStep: an image the configuration
// names is a parameter of the services stack; every other image is
// imported from the images step; the server stack imports none.
func TestImagesComeFromConfigOrTheImagesStep(t *testing.T) {
	cfg := variants()[2].cfg // 2.12.2: server image set, gateway image built
	s := mustStack(t, render(t, cfg), Services)
	if s.Params[ParamServerImage] != cfg.Server.Image {
		t.Fatalf("params %v", s.Params)
	}
	if got := importsFrom(s, StepImages); !slices.Equal(got, []string{ParamGatewayImage}) {
		t.Errorf("imports from the images step: %v, want the gateway image only", got)
	}
	both := cfg
	both.Gateway.Image = "gw:1"
	if got := importsFrom(mustStack(t, render(t, both), Services), StepImages); len(got) != 0 {
		t.Errorf("both images configured, still imports %v", got)
	}
	def := mustStack(t, render(t, variants()[0].cfg), Services)
	if got := importsFrom(def, StepImages); !slices.Equal(got, []string{ParamServerImage}) {
		t.Errorf("default: imports %v from the images step", got)
	}
	if got := importsFrom(mustStack(t, render(t, variants()[0].cfg), Server), StepImages); len(got) != 0 {
		t.Errorf("the server stack (Aurora, network, NLB) waits for images %v", got)
	}
	if got := importsFrom(mustStack(t, render(t, variants()[0].cfg), API), StepAuthorizer); !slices.Equal(got, []string{ParamAuthorizerCodeKey}) {
		t.Errorf("api: imports %v from the authorizer step", got)
	}
}

func importsFrom(s deploy.Stack, step string) []string {
	var out []string
	for _, im := range s.Imports {
		if im.FromStack == step {
			out = append(out, im.Param)
		}
	}
	return out
}

func TestDomainPrefixAvoidsReservedWords(t *testing.T) {
	if p := domainPrefix("mlflow"); p != "mlflow-mlflow" {
		t.Errorf("got %s", p)
	}
	for _, n := range []string{"aws-team", "myamazon", "cognito1"} {
		p := domainPrefix(n)
		if strings.Contains(p, "aws") || strings.Contains(p, "amazon") || strings.Contains(p, "cognito") {
			t.Errorf("%s → %s", n, p)
		}
	}
}

func TestPolicyChunksFitIAMLimit(t *testing.T) {
	var routes []string
	for i := range 300 {
		routes = append(routes, fmt.Sprintf("POST/api/3.0/mlflow/%s/%d", strings.Repeat("x", i%90), i))
	}
	chunks := chunkBySize(routes)
	total := 0
	for _, c := range chunks {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":[`
		for i, r := range c {
			if i > 0 {
				doc += ","
			}
			doc += `"arn:aws-us-gov:execute-api:ap-southeast-2:123456789012:abcdefghij/prod/` + r + `"`
		}
		doc += `]}]}`
		if len(doc) > 6144 {
			t.Errorf("chunk of %d resources is %d characters", len(c), len(doc))
		}
		total += len(c)
	}
	if total != len(routes) || len(chunks) < 2 {
		t.Fatalf("%d routes in %d chunks, want all %d in several", total, len(chunks), len(routes))
	}
}

func TestEndpointsFromOutputs(t *testing.T) {
	outs := deploy.Outputs{
		API: {OutUIURL: "https://main.d1.amplifyapp.com", OutRestAPIURL: "https://a1.execute-api.us-east-1.amazonaws.com/prod/",
			OutCognitoDomain: "https://mlflow-mlflow-1.auth.us-east-1.amazoncognito.com", OutUserPoolClientID: "client1", OutUserPoolID: "pool"},
		Server: {OutMLflowVersion: "3.18.0"},
		Studio: {OutDomainID: "d-abcdef123456"},
	}
	e := EndpointsFrom(outs)
	if e.UI != "https://main.d1.amplifyapp.com/" || e.TrackingURI != "https://a1.execute-api.us-east-1.amazonaws.com/prod" || e.MLflowVersion != "3.18.0" || e.DomainID != "d-abcdef123456" {
		t.Fatalf("%+v", e)
	}
	// The login's redirect must be exactly the app client's callback URL.
	if !strings.Contains(e.CognitoLogin, "client_id=client1") || !strings.Contains(e.CognitoLogin, "redirect_uri=https%3A%2F%2Fmain.d1.amplifyapp.com%2F") {
		t.Fatalf("login %s", e.CognitoLogin)
	}
	if got := EndpointsFrom(deploy.Outputs{}); got != (Endpoints{}) {
		t.Fatalf("nothing deployed gave %+v", got)
	}
	sk := Skeleton("x")
	if len(sk.Stacks) != len(IDs) || sk.StackName(Studio) != "x-studio" {
		t.Fatalf("skeleton %+v", sk)
	}
}

// The images mlflowctl builds (pkg/build) read these settings; a renamed
// variable would leave the server without its database.
func TestServerContainerContract(t *testing.T) {
	for _, v := range variants() {
		server := tracking(t, render(t, v.cfg))
		c := server.Resources["ServerTaskDefinition"].Properties["ContainerDefinitions"].([]any)[0].(map[string]any)
		env := map[string]bool{}
		for _, e := range c["Environment"].([]any) {
			env[e.(map[string]any)["Name"].(string)] = true
		}
		for _, k := range []string{"DB_HOST", "DB_PORT", "DB_NAME", "ARTIFACT_ROOT", "PORT", "WORKERS"} {
			if !env[k] {
				t.Errorf("%s: server container lacks %s", v.name, k)
			}
		}
		if env["MLFLOW_DEPLOYMENTS_TARGET"] != v.cfg.UsesSeparateGateway() {
			t.Errorf("%s: MLFLOW_DEPLOYMENTS_TARGET set %v", v.name, env["MLFLOW_DEPLOYMENTS_TARGET"])
		}
		secrets := fmt.Sprint(c["Secrets"])
		if !strings.Contains(secrets, "Name:DB_SECRET ValueFrom:map[Fn::GetAtt:[DbCluster MasterUserSecret.SecretArn]]") {
			t.Errorf("%s: DB_SECRET must be the whole RDS-managed secret: %s", v.name, secrets)
		}
		_, health := c["HealthCheck"]
		if health != (v.cfg.Server.Image == "") {
			t.Errorf("%s: container health check %v with server.image %q (only mlflowctl's images have the script)", v.name, health, v.cfg.Server.Image)
		}
	}
}

func TestRepositoriesFollowTheDeploymentName(t *testing.T) {
	def := parsed(t, mustStack(t, render(t, variants()[0].cfg), Bootstrap))
	if got := def.Resources["PyfuncRepository"].Properties["RepositoryName"]; got != "mlflow-pyfunc" {
		t.Errorf("default deployment's pyfunc repository %v, the labs pull mlflow-pyfunc", got)
	}
	tiny := mustStack(t, render(t, variants()[5].cfg), Bootstrap)
	if !strings.Contains(string(tiny.Template), `RepositoryName: "tiny-server"`) || !strings.Contains(string(tiny.Template), "repository/mlflow-pyfunc") {
		t.Error("deployment tiny: repositories tiny-*, and push rights on mlflow-pyfunc")
	}
}
