package stacks

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
)

// A fake-clock model of `up` from nothing (issue 19 item 2): the real
// deploy.Engine plays a graph of nodes against the in-memory
// CloudFormation (cfnfake) under testing/synctest, each node taking the
// modelled time of its slowest chain of resources. A node is a stack or
// another step of up (image build, authorizer upload, UI publish, API
// Gateway log role); today those steps are stacks' Before/After hooks,
// which run exactly between a stack's dependencies and the stack (or
// right after it), so the model plays each as a stand-in stack in the
// same place. Re-pointing this at pkg/app's step nodes is changing the
// deps in the three graphs below.
//
// What it does not model: CloudFormation's own overhead per stack, change
// set creation, polling delays beyond the engine's, throttling, and the
// spread of the real durations (each item is one number).

// item is one thing AWS creates, with how long it takes and where that
// figure comes from.
type item struct {
	d      time.Duration
	source string
}

// items are the per-resource durations. Where no published figure exists
// the source says so and the number is an estimate.
var items = map[string]item{
	"bootstrap": {time.Minute, "estimate: bucket, ECR repositories, IAM role and CodeBuild project are API calls of seconds each; no published figure found"},
	"image-build": {8 * time.Minute, "estimate: CodeBuild provisioning is about 25-30 s (apppackio/apppack-codebuild-image README: " +
		"\"usually less than 25s\", over 30 s with the standard image), then pip install of MLflow's locked requirements and the push; " +
		"mlflowctl's own note for a CodeBuild UI build is \"about ten minutes\" (internal/cli/ui.go); no measurement of our server image found"},
	"vpc": {time.Minute, "estimate: VPC, subnets, IGW, route tables are synchronous EC2 calls; no published figure found"},
	"nat": {2 * time.Minute, "estimate: no AWS figure; Terraform logs show NAT gateway creates still running after 3m (hashicorp/terraform#8687), " +
		"default create timeout 10m; off the critical chain either way (Aurora is longer)"},
	"aurora": {12 * time.Minute, "estimate: AWS publishes no creation time for an Aurora cluster or a db.serverless instance; " +
		"the only published timing found is a delete: aws_rds_cluster_instance 11m47s, aws_rds_cluster 1m3s (tungbq/aws-lab-with-terraform#100); " +
		"the instance waits for the cluster (DBClusterIdentifier)"},
	"ecs-service": {5 * time.Minute, "Fargate provisioning and image pull, then the NLB health checks: HealthyThresholdCount 2 x 30 s here " +
		"(the defaults 5 x 30 s = 2.5 min, Nathan Peck, \"Speeding up Amazon ECS container deployments\", nathanpeck.com 2020) after " +
		"mlflow db upgrade and the container StartPeriod; Scribd measured 6-9 min per NLB-fronted Fargate deploy " +
		"(quoted at asfendeveloper.blogg.se/2022/september/aws-fargate-startup-time.html)"},
	"vpc-link": {5 * time.Minute, "hashicorp/terraform-provider-aws#10407 and #18382: the acceptance test creating an NLB and an " +
		"API Gateway VPC link, then deleting both, took 704 s and 750 s; VPC links go PENDING -> AVAILABLE (aws-samples/aws-modern-application-workshop#21)"},
	"cognito-domain": {time.Minute, "a prefix domain is one API call: CreateUserPoolDomain answered in 2.9 s " +
		"(rosberglinhares/CloudFormationCognitoCustomResources#4); custom domains take up to 15 min (CloudFront), not used here"},
	"studio-domain": {6 * time.Minute, "estimate: no AWS or published creation time found for a SageMaker domain (Pending -> InService, " +
		"with its EFS); CloudFormation fails it as NotStabilized when it does not settle " +
		"(aws-samples/amazon-sagemaker-studio-secure-data-science-workshop#10)"},
	"amplify-app":      {time.Minute, "estimate: an Amplify app and branch without a Git provider are API calls; no published figure found"},
	"amplify-deploy":   {time.Minute, "estimate: a manual (zip) deployment of the prebuilt UI; no published figure found (aws-amplify/amplify-hosting issues report only stuck deployments)"},
	"authorizer-zip":   {5 * time.Second, "one S3 PutObject of a small zip; estimate"},
	"apigw-log-role":   {30 * time.Second, "estimate: one IAM role (eventual consistency) and apigateway:UpdateAccount, skipped when the account has one"},
	"services-rollout": {5 * time.Minute, "a rolling ECS deployment of a new task definition: as ecs-service (MinimumHealthyPercent 100, MaximumPercent 200)"},
}

// node is one step of up: its ID, the steps it waits for, and the chain
// of items (in sequence) that is its slowest path.
type node struct {
	id    string
	deps  []string
	chain []string
}

func (n node) duration() time.Duration {
	var d time.Duration
	for _, it := range n.chain {
		d += items[it].d
	}
	return d
}

// Step IDs that are not stacks.
const (
	stepImages     = "images"
	stepLogRole    = "apigw-log-role"
	stepAuthorizer = "authorizer-upload"
	stepUIPublish  = "ui-publish"
	stepUIOrigin   = "server-ui-origin" // the second pass of the old layout
)

// graphBefore is up before the split: the images build in the server
// stack's Before hook (after bootstrap, before the server stack), the
// server stack holds Aurora and the ECS services (the service waits for
// the database instance), the api stack's Before ensures the log role and
// uploads the authorizer, the ui stack's After publishes the UI, and a
// first deployment of MLflow 3.5+ updates the server once more for the UI
// origin (a second rolling deployment, after everything else).
func graphBefore() []node {
	return []node{
		{Bootstrap, nil, []string{"bootstrap"}},
		{stepImages, []string{Bootstrap}, []string{"image-build"}},
		{Server, []string{Bootstrap, stepImages}, []string{"vpc", "aurora", "ecs-service"}},
		{stepLogRole, []string{Bootstrap, Server}, []string{"apigw-log-role"}},
		{stepAuthorizer, []string{stepLogRole}, []string{"authorizer-zip"}},
		{API, []string{stepAuthorizer}, []string{"vpc-link"}},
		{Studio, []string{Server, API}, []string{"studio-domain"}},
		{UI, []string{API}, []string{"amplify-app"}},
		{stepUIPublish, []string{UI}, []string{"amplify-deploy"}},
		{stepUIOrigin, []string{Studio, stepUIPublish}, []string{"services-rollout"}},
	}
}

// graphAfterHooks is up after the split with today's hooks: the images
// build in the services stack's Before, so after the server and api
// stacks, while studio and ui go on; no second pass (the services stack
// imports the UI origin).
func graphAfterHooks() []node {
	return []node{
		{Bootstrap, nil, []string{"bootstrap"}},
		{Server, []string{Bootstrap}, []string{"vpc", "aurora"}},
		{stepLogRole, []string{Bootstrap, Server}, []string{"apigw-log-role"}},
		{stepAuthorizer, []string{stepLogRole}, []string{"authorizer-zip"}},
		{API, []string{stepAuthorizer}, []string{"vpc-link"}},
		{stepImages, []string{Bootstrap, Server, API}, []string{"image-build"}},
		{Services, []string{stepImages}, []string{"ecs-service"}},
		{Studio, []string{Server, API}, []string{"studio-domain"}},
		{UI, []string{API}, []string{"amplify-app"}},
		{stepUIPublish, []string{UI}, []string{"amplify-deploy"}},
	}
}

// graphAfterSteps is the split with up's steps as graph nodes (pkg/app):
// the images need only the bootstrap stack's repositories and CodeBuild
// project, the authorizer only its bucket, the log role nothing.
func graphAfterSteps() []node {
	return []node{
		{Bootstrap, nil, []string{"bootstrap"}},
		{stepImages, []string{Bootstrap}, []string{"image-build"}},
		{Server, []string{Bootstrap}, []string{"vpc", "aurora"}},
		{stepLogRole, nil, []string{"apigw-log-role"}},
		{stepAuthorizer, []string{Bootstrap}, []string{"authorizer-zip"}},
		{API, []string{Bootstrap, Server, stepLogRole, stepAuthorizer}, []string{"vpc-link"}},
		{Services, []string{Bootstrap, Server, API, stepImages}, []string{"ecs-service"}},
		{Studio, []string{Server, API}, []string{"studio-domain"}},
		{UI, []string{API}, []string{"amplify-app"}},
		{stepUIPublish, []string{UI}, []string{"amplify-deploy"}},
	}
}

// stepTemplate is what each node deploys in the fake.
const stepTemplate = "Resources:\n  Step:\n    Type: AWS::CloudFormation::WaitConditionHandle\n"

// playUp deploys the graph with the real engine against the fake, each
// node taking its duration, and returns the fake-clock wall time. Call it
// inside synctest.
func playUp(tb testing.TB, g []node) time.Duration {
	f := cfnfake.New()
	d := deploy.Deployment{Name: "m"}
	for _, n := range g {
		f.SetDuration(d.StackName(n.id), n.duration())
		d.Stacks = append(d.Stacks, deploy.Stack{ID: n.id, Template: []byte(stepTemplate), DependsOn: n.deps})
	}
	// Every node may run at once: the model measures the graph, not the
	// engine's concurrency limit.
	e := deploy.New(f, deploy.Options{Concurrency: len(g), Yes: true})
	start := time.Now()
	if _, err := e.Deploy(context.Background(), d); err != nil {
		tb.Fatal(err)
	}
	return time.Since(start)
}

// criticalPath is the longest chain of the graph by the items' durations.
func criticalPath(g []node) (time.Duration, []string) {
	byID := map[string]node{}
	for _, n := range g {
		byID[n.id] = n
	}
	type best struct {
		d    time.Duration
		path []string
	}
	memo := map[string]best{}
	var finish func(id string) best
	finish = func(id string) best {
		if b, ok := memo[id]; ok {
			return b
		}
		var longest best
		for _, dep := range byID[id].deps {
			if b := finish(dep); b.d > longest.d {
				longest = b
			}
		}
		b := best{longest.d + byID[id].duration(), append(slices.Clone(longest.path), id)}
		memo[id] = b
		return b
	}
	var out best
	for _, n := range g {
		if b := finish(n.id); b.d > out.d {
			out = b
		}
	}
	return out.d, out.path
}

var upGraphs = []struct {
	name  string
	graph func() []node
}{
	{"before", graphBefore},
	{"after-hooks", graphAfterHooks},
	{"after-steps", graphAfterSteps},
}

// TestModelledUpWallTime plays up from nothing in each layout and logs
// the modelled wall time and critical path. The structural fact it
// asserts: the split's critical path is shorter than the old one's, with
// today's hooks and with steps as nodes.
func TestModelledUpWallTime(t *testing.T) {
	paths := map[string]time.Duration{}
	for _, u := range upGraphs {
		synctest.Test(t, func(t *testing.T) {
			wall := playUp(t, u.graph())
			cp, path := criticalPath(u.graph())
			paths[u.name] = cp
			t.Logf("%s: modelled up %.1f min; critical path %.1f min: %s", u.name, wall.Minutes(), cp.Minutes(), strings.Join(path, " -> "))
		})
	}
	if paths["after-hooks"] >= paths["before"] || paths["after-steps"] >= paths["after-hooks"] {
		t.Errorf("critical paths: before %s, after (hooks) %s, after (steps) %s: the split must shorten it", paths["before"], paths["after-hooks"], paths["after-steps"])
	}
}

// TestUpModelFollowsTheRenderedGraph: the after-hooks table's stacks wait
// for exactly the stacks Render makes them depend on (through the steps
// between them), so the model cannot drift from the deployment.
func TestUpModelFollowsTheRenderedGraph(t *testing.T) {
	d := render(t, variants()[0].cfg)
	rendered := map[string][]string{}
	for _, s := range d.Stacks {
		rendered[s.ID] = s.DependsOn
	}
	model := map[string][]string{}
	for _, n := range graphAfterHooks() {
		model[n.id] = n.deps
	}
	for _, id := range slices.Sorted(maps.Keys(rendered)) {
		want := stackAncestors(rendered, id, rendered)
		got := stackAncestors(model, id, rendered)
		if !slices.Equal(got, want) {
			t.Errorf("stack %s: the model waits for stacks %v, the rendered graph for %v", id, got, want)
		}
	}
}

// stackAncestors lists, sorted, the stacks id waits for directly or
// through other nodes of deps.
func stackAncestors(deps map[string][]string, id string, stacks map[string][]string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(x string) {
		for _, dep := range deps[x] {
			if !seen[dep] {
				seen[dep] = true
				walk(dep)
			}
		}
	}
	walk(id)
	var out []string
	for x := range seen {
		if _, isStack := stacks[x]; isStack {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// BenchmarkUpFromNothing reports the modelled wall time of up and the
// critical path of each layout, in minutes of the fake clock.
func BenchmarkUpFromNothing(b *testing.B) {
	for _, u := range upGraphs {
		b.Run(u.name, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				synctest.Test(&testing.T{}, func(*testing.T) { total += playUp(b, u.graph()) })
			}
			cp, _ := criticalPath(u.graph())
			b.ReportMetric(total.Minutes()/float64(b.N), "modelled-min/op")
			b.ReportMetric(cp.Minutes(), "critical-path-min")
		})
	}
}

// TestUpModelCitesEveryFigure: every item has a source, and every chain
// names known items.
func TestUpModelCitesEveryFigure(t *testing.T) {
	for name, it := range items {
		if it.d <= 0 || len(it.source) < 20 {
			t.Errorf("item %s: %s, source %q", name, it.d, it.source)
		}
	}
	for _, u := range upGraphs {
		for _, n := range u.graph() {
			for _, it := range n.chain {
				if _, ok := items[it]; !ok {
					t.Errorf("%s/%s: unknown item %s", u.name, n.id, it)
				}
			}
		}
	}
}
