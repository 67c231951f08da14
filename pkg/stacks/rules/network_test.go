package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/stackstest"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// TestNLBReachesTargetsFromEveryZone: with cross-zone load balancing off,
// each NLB node forwards only to targets in its own Availability Zone;
// the node of a zone without a healthy target is dropped from DNS, and a
// client that cached its address (the VPC link's PrivateLink endpoint
// spans both zones) gets no answer. A service of one task (the 2.x
// gateway's default) therefore fails half the requests. Either cross-zone
// is on, or every service behind the NLB runs at least two tasks at all
// times.
//
//   - https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-cross-zone.html
//     ("With Network Load Balancers, cross-zone load balancing is off by default")
//   - https://repost.aws/knowledge-center/elb-dns-cross-zone-balance-configuration
//     ("When cross-zone load balancing is turned off, an Availability Zone
//     must have at least one healthy target in each target group")
func TestNLBReachesTargetsFromEveryZone(t *testing.T) {
	forEachTrackingServer(t, func(t *testing.T, _ variant, _ deploy.Deployment, tpl stacks.Template) {
		for _, id := range sortedIDs(ofType(tpl, "AWS::ElasticLoadBalancingV2::LoadBalancer")) {
			if lbAttribute(tpl.Resources[id], "load_balancing.cross_zone.enabled") == "true" {
				continue
			}
			for _, sid := range sortedIDs(ofType(tpl, "AWS::ECS::Service")) {
				if n := minTasks(tpl, sid); n < 2 {
					t.Errorf("NLB %s has cross-zone load balancing off while service %s may run %d task(s): turn load_balancing.cross_zone.enabled on or keep two tasks", id, sid, n)
				}
			}
		}
	})
}

func lbAttribute(r stacks.Resource, key string) string {
	attrs, _ := r.Properties["LoadBalancerAttributes"].([]any)
	for _, a := range attrs {
		m, _ := a.(map[string]any)
		if m["Key"] == key {
			return fmt.Sprint(m["Value"])
		}
	}
	return ""
}

// minTasks is the fewest tasks a service may run: its DesiredCount, or the
// MinCapacity of the scalable target that scales it.
func minTasks(tpl stacks.Template, serviceID string) int {
	n := toInt(tpl.Resources[serviceID].Properties["DesiredCount"])
	for _, r := range ofType(tpl, "AWS::ApplicationAutoScaling::ScalableTarget") {
		if strings.Contains(fmt.Sprint(r.Properties["ResourceId"]), serviceID) {
			n = min(n, toInt(r.Properties["MinCapacity"]))
		}
	}
	return n
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case float64:
		return int(x)
	}
	return 0
}

// TestNLBAdmitsOnlyTheVPCLink: the VPC link reaches the NLB over
// PrivateLink, and with EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic
// "off" the NLB's inbound rules are not evaluated for that traffic, so the
// VPC link needs no inbound rule at all. Any inbound rule by CIDR (the
// whole VPC, as before) lets every workload in the VPC call MLflow without
// authentication. The security group must also not keep the default
// allow-all egress: only the listener-to-task rules (which carry the
// health checks too).
//
//   - https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html
//     (PrivateLink traffic and the EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic setting)
//   - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroup.html
//     (without SecurityGroupEgress, a group gets an allow-all egress rule)
func TestNLBAdmitsOnlyTheVPCLink(t *testing.T) {
	forEachStack(t, stacks.Server, func(t *testing.T, _ variant, _ deploy.Stack, tpl stacks.Template) {
		for _, id := range sortedIDs(ofType(tpl, "AWS::ElasticLoadBalancingV2::LoadBalancer")) {
			lb := tpl.Resources[id]
			if lb.Properties["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] != "off" {
				t.Errorf("NLB %s: PrivateLink traffic from the VPC link is filtered, yet no rule can name it: set EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic off", id)
			}
			sgs, _ := lb.Properties["SecurityGroups"].([]any)
			for _, sg := range sgs {
				checkNLBGroup(t, tpl, refTarget(sg))
			}
		}
	})
}

func checkNLBGroup(t *testing.T, tpl stacks.Template, sg string) {
	t.Helper()
	r := tpl.Resources[sg]
	if ing, _ := r.Properties["SecurityGroupIngress"].([]any); len(ing) > 0 {
		t.Errorf("security group %s of the NLB has %d inbound rule(s) %v: the VPC link needs none", sg, len(ing), ing)
	}
	for _, id := range sortedIDs(ofType(tpl, "AWS::EC2::SecurityGroupIngress")) {
		if refTarget(tpl.Resources[id].Properties["GroupId"]) == sg {
			t.Errorf("%s adds an inbound rule to the NLB's group %s", id, sg)
		}
	}
	egress, ok := r.Properties["SecurityGroupEgress"].([]any)
	if !ok {
		t.Errorf("security group %s of the NLB keeps the default allow-all egress", sg)
	}
	for _, e := range egress {
		m, _ := e.(map[string]any)
		if m["CidrIp"] == "0.0.0.0/0" || m["IpProtocol"] == "-1" {
			t.Errorf("security group %s of the NLB allows egress %v", sg, m)
		}
	}
}

// TestServicesWaitForTheirNetworkPath: a Fargate task in a private
// subnet pulls its image from ECR (API over NAT, layers from S3 through
// the gateway endpoint) and reads its secret from Secrets Manager. The
// service names only its subnets, so CloudFormation may start it before
// the NAT routes and the S3 endpoint exist; tasks then fail with
// "ResourceInitializationError: unable to pull secrets or registry auth"
// and the circuit breaker rolls back the whole stack, Aurora included.
// Every service must depend (directly or through its references) on every
// private default route, route-table association and the S3 endpoint.
//
//   - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html
//     ("When a DependsOn attribute is required": resources that need a
//     route through a gateway must declare it)
//   - https://repost.aws/knowledge-center/ecs-unable-to-pull-secrets
//
// The services are in the services stack, the network in the server
// stack: a service waits for what its own stack depends on.
func TestServicesWaitForTheirNetworkPath(t *testing.T) {
	forEachTrackingServer(t, func(t *testing.T, _ variant, d deploy.Deployment, tpl stacks.Template) {
		server := parse(t, stackOf(t, d, stacks.Server))
		services := stackOf(t, d, stacks.Services)
		afterServer := slices.Contains(services.DependsOn, stacks.Server)
		var need []string
		for _, id := range sortedIDs(ofType(tpl, "AWS::EC2::Route")) {
			if _, nat := tpl.Resources[id].Properties["NatGatewayId"]; nat {
				need = append(need, id)
			}
		}
		for _, id := range sortedIDs(ofType(tpl, "AWS::EC2::SubnetRouteTableAssociation")) {
			if strings.HasPrefix(id, "PrivateSubnet") {
				need = append(need, id)
			}
		}
		need = append(need, sortedIDs(ofType(tpl, "AWS::EC2::VPCEndpoint"))...)
		if len(need) < 5 {
			t.Fatalf("found only %v to wait for: the rule no longer matches the template", need)
		}
		for _, sid := range sortedIDs(ofType(tpl, "AWS::ECS::Service")) {
			deps := dependsOnAll(tpl, sid)
			_, serviceInServer := server.Resources[sid]
			for _, n := range need {
				_, nInServer := server.Resources[n]
				if !deps[n] && (serviceInServer || !nInServer || !afterServer) {
					t.Errorf("service %s does not wait for %s", sid, n)
				}
			}
		}
	})
}

// TestBedrockProfilesReachTheirModels: a cross-Region inference profile
// (model ids such as us.anthropic.claude-...) routes each request to the
// foundation model in one of the profile's destination Regions, and the
// caller needs bedrock:InvokeModel on the profile and on the model in
// every destination Region. A policy that allows foundation models only
// in the deployment's Region fails such requests with AccessDenied
// whenever Bedrock routes elsewhere. The models outside the Region are
// allowed only through an inference profile of this account and Region
// (condition bedrock:InferenceProfileArn), not directly.
//
//   - https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html
//     (the policy: "arn:aws:bedrock:*::foundation-model/*" and the profiles)
//   - https://docs.aws.amazon.com/bedrock/latest/userguide/cross-region-inference.html
//   - https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html
//     (condition key bedrock:InferenceProfileArn on InvokeModel)
func TestBedrockProfilesReachTheirModels(t *testing.T) {
	forEachStack(t, stacks.Server, func(t *testing.T, v variant, _ deploy.Stack, tpl stacks.Template) {
		if !v.cfg.Gateway.Enabled {
			return
		}
		for _, role := range sortedIDs(ofType(tpl, "AWS::IAM::Role")) {
			docs := permissionDocs(tpl, role)
			if !allowsAction(docs, "bedrock:InvokeModel") {
				continue
			}
			var profiles, anyRegionViaProfile bool
			for _, d := range docs {
				for _, st := range stackstest.Statements(d) {
					res := fmt.Sprint(st["Resource"])
					cond := fmt.Sprint(st["Condition"])
					if strings.Contains(res, ":inference-profile/") {
						profiles = true
					}
					if strings.Contains(res, ":bedrock:*::foundation-model/") && strings.Contains(cond, "bedrock:InferenceProfileArn") {
						anyRegionViaProfile = true
					}
					if strings.Contains(res, ":bedrock:*::foundation-model/") && !strings.Contains(cond, "bedrock:InferenceProfileArn") {
						t.Errorf("role %s may invoke foundation models in every Region directly, not only through a profile", role)
					}
				}
			}
			if !profiles || !anyRegionViaProfile {
				t.Errorf("role %s: inference profiles allowed %v, their models in other Regions allowed %v: cross-Region profiles fail with AccessDenied", role, profiles, anyRegionViaProfile)
			}
		}
	})
}

// TestCORSAdmitsOnlyThisDeploymentsUI: MLflow 3.5+ refuses writes whose
// Origin is not in --cors-allowed-origins (3.10+ on /ajax-api too, so the
// UI's own writes need it). "https://*.amplifyapp.com" admits every
// Amplify app of every AWS customer: the origin must be this deployment's
// UI, https://main.<app id>.amplifyapp.com, which only exists once the api
// stack has made the Amplify app; so it is a parameter of the services
// stack (UiOrigin), imported from the api stack's UiUrl output (the
// services stack depends on the api stack).
//
//   - research/mlflow-source.md §security middleware (MLflow #20832, #21468)
//   - https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Origin
func TestCORSAdmitsOnlyThisDeploymentsUI(t *testing.T) {
	forEachTrackingServer(t, func(t *testing.T, v variant, d deploy.Deployment, tpl stacks.Template) {
		s := stackOf(t, d, stacks.Services)
		for _, id := range sortedIDs(ofType(tpl, "AWS::ECS::TaskDefinition")) {
			defs, _ := tpl.Resources[id].Properties["ContainerDefinitions"].([]any)
			for _, def := range defs {
				m, _ := def.(map[string]any)
				env, _ := m["Environment"].([]any)
				for _, e := range env {
					kv, _ := e.(map[string]any)
					if kv["Name"] != "CORS_ALLOWED_ORIGINS" {
						continue
					}
					if strings.Contains(fmt.Sprint(kv["Value"]), "*") {
						t.Errorf("%s admits origins %v: any Amplify app could write", id, kv["Value"])
					}
					if refTarget(kv["Value"]) != stacks.ParamUIOrigin {
						t.Errorf("%s: CORS_ALLOWED_ORIGINS is %v, not the %s parameter", id, kv["Value"], stacks.ParamUIOrigin)
					}
					if _, ok := tpl.Parameters[stacks.ParamUIOrigin]; !ok {
						t.Errorf("no %s parameter", stacks.ParamUIOrigin)
					}
					want := deploy.Import{Param: stacks.ParamUIOrigin, FromStack: stacks.API, Output: stacks.OutUIURL}
					if !slices.Contains(s.Imports, want) || !slices.Contains(s.DependsOn, stacks.API) {
						t.Errorf("%s is not the api stack's %s (imports %v)", stacks.ParamUIOrigin, stacks.OutUIURL, s.Imports)
					}
				}
			}
		}
	})
}
