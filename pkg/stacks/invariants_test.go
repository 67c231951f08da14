package stacks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/stackstest"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// tagForms says how each resource type takes tags: "list" (Key/Value
// items under Tags), "map" (a map under the named property). Types that
// take none are listed in untaggable; the stack-level tags the engine sets
// still reach them where AWS supports it. A type in neither list fails the
// test, so a new type is classified on purpose.
var tagForms = map[string]string{
	"AWS::S3::Bucket": "list", "AWS::ECR::Repository": "list", "AWS::Logs::LogGroup": "list",
	"AWS::IAM::Role": "list", "AWS::CodeBuild::Project": "list", "AWS::EC2::VPC": "list",
	"AWS::EC2::InternetGateway": "list", "AWS::EC2::RouteTable": "list", "AWS::EC2::Subnet": "list",
	"AWS::EC2::EIP": "list", "AWS::EC2::NatGateway": "list", "AWS::EC2::FlowLog": "list",
	"AWS::EC2::SecurityGroup": "list", "AWS::RDS::DBSubnetGroup": "list", "AWS::RDS::DBCluster": "list",
	"AWS::RDS::DBInstance": "list", "AWS::ECS::Cluster": "list", "AWS::ECS::TaskDefinition": "list",
	"AWS::ECS::Service": "list", "AWS::ServiceDiscovery::PrivateDnsNamespace": "list",
	"AWS::ServiceDiscovery::Service": "list", "AWS::ElasticLoadBalancingV2::LoadBalancer": "list",
	"AWS::ElasticLoadBalancingV2::TargetGroup": "list", "AWS::ApiGateway::VpcLink": "list",
	"AWS::ApiGateway::RestApi": "list", "AWS::ApiGateway::Stage": "list", "AWS::Lambda::Function": "list",
	"AWS::Amplify::App": "list", "AWS::Amplify::Branch": "list", "AWS::SageMaker::Domain": "list",
	"AWS::SageMaker::UserProfile":           "list",
	"AWS::SageMaker::StudioLifecycleConfig": "list", "AWS::SecretsManager::Secret": "list",
	"AWS::Cognito::UserPool": "UserPoolTags", "AWS::SSM::Parameter": "Tags",
}

var untaggable = []string{
	"AWS::S3::BucketPolicy", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::Route",
	"AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress",
	"AWS::ElasticLoadBalancingV2::Listener", "AWS::ApplicationAutoScaling::ScalableTarget",
	"AWS::ApplicationAutoScaling::ScalingPolicy", "AWS::ApiGateway::Resource", "AWS::ApiGateway::Method",
	"AWS::ApiGateway::Deployment", "AWS::ApiGateway::Account", "AWS::ApiGateway::Authorizer",
	"AWS::Lambda::Permission", "AWS::EC2::VPCEndpoint", "AWS::Cognito::UserPoolDomain", "AWS::Cognito::ManagedLoginBranding",
	"AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup", "AWS::IAM::ManagedPolicy",
}

func TestEveryResourceHasDescriptionAndTags(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, v variant, s deploy.Stack, tpl Template) {
		want := map[string]string{"mlflowctl:deployment": v.cfg.Name, "mlflowctl:stack": s.ID}
		for id, r := range tpl.Resources {
			if strings.TrimSpace(r.Description()) == "" {
				t.Errorf("%s (%s) has no Metadata.mlflowctl.description", id, r.Type)
			}
			form, ok := tagForms[r.Type]
			if !ok {
				if !slices.Contains(untaggable, r.Type) {
					t.Errorf("%s: type %s is in neither tagForms nor untaggable: classify it", id, r.Type)
				}
				continue
			}
			got := tagsOf(r, form)
			for k, val := range want {
				if got[k] != val {
					t.Errorf("%s (%s): tag %s = %q, want %q", id, r.Type, k, got[k], val)
				}
			}
		}
	})
}

func tagsOf(r Resource, form string) map[string]string {
	out := map[string]string{}
	if form == "list" {
		items, _ := r.Properties["Tags"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			k, _ := m["Key"].(string)
			v, _ := m["Value"].(string)
			out[k] = v
		}
		return out
	}
	m, _ := r.Properties[form].(map[string]any)
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}

func TestBucketsEncryptedPrivateAndTLSOnly(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, _ deploy.Stack, tpl Template) {
		tlsOnly := map[string]bool{}
		for _, r := range tpl.Resources {
			if r.Type == "AWS::S3::BucketPolicy" && deniesInsecureTransport(r.Properties["PolicyDocument"]) {
				tlsOnly[refName(r.Properties["Bucket"])] = true
			}
		}
		for id, r := range tpl.Resources {
			if r.Type != "AWS::S3::Bucket" {
				continue
			}
			enc := fmt.Sprint(r.Properties["BucketEncryption"])
			if !strings.Contains(enc, "SSEAlgorithm") {
				t.Errorf("bucket %s: no default encryption", id)
			}
			pab, _ := r.Properties["PublicAccessBlockConfiguration"].(map[string]any)
			for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
				if pab[k] != true {
					t.Errorf("bucket %s: %s is not true", id, k)
				}
			}
			if !tlsOnly[id] {
				t.Errorf("bucket %s: no bucket policy denying aws:SecureTransport=false", id)
			}
		}
	})
}

// methodPath is the API path of a method, from its resource's chain of
// PathParts.
func methodPath(tpl Template, m Resource) string {
	path := ""
	for id := refName(m.Properties["ResourceId"]); id != ""; {
		r := tpl.Resources[id]
		path = "/" + fmt.Sprint(r.Properties["PathPart"]) + path
		id = refName(r.Properties["ParentId"])
	}
	if path == "" {
		return "/"
	}
	return path
}

func refName(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

func deniesInsecureTransport(doc any) bool {
	for _, st := range stackstest.Statements(doc) {
		if st["Effect"] != "Deny" {
			continue
		}
		cond := fmt.Sprint(st["Condition"])
		if strings.Contains(cond, "aws:SecureTransport:false") {
			return true
		}
	}
	return false
}

func TestDatabaseEncryptedPrivateAndPasswordless(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, v variant, s deploy.Stack, tpl Template) {
		for id, r := range tpl.Resources {
			switch r.Type {
			case "AWS::RDS::DBCluster":
				if r.Properties["StorageEncrypted"] != true || r.Properties["ManageMasterUserPassword"] != true {
					t.Errorf("%s: StorageEncrypted and ManageMasterUserPassword must be true", id)
				}
				if _, ok := r.Properties["MasterUserPassword"]; ok {
					t.Errorf("%s: has a MasterUserPassword", id)
				}
				if r.DeletionPolicy != v.cfg.Database.DeletionPolicy {
					t.Errorf("%s: DeletionPolicy %q, config says %q", id, r.DeletionPolicy, v.cfg.Database.DeletionPolicy)
				}
				sc, _ := r.Properties["ServerlessV2ScalingConfiguration"].(map[string]any)
				if toFloat(sc["MinCapacity"]) != v.cfg.Database.MinCapacity || toFloat(sc["MaxCapacity"]) != v.cfg.Database.MaxCapacity {
					t.Errorf("%s: capacity %v, config says %v-%v", id, sc, v.cfg.Database.MinCapacity, v.cfg.Database.MaxCapacity)
				}
			case "AWS::RDS::DBInstance":
				if r.Properties["PubliclyAccessible"] != false {
					t.Errorf("%s: PubliclyAccessible must be false", id)
				}
			}
		}
	})
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	return -1
}

func TestNoWildcardIAMActions(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, _ deploy.Stack, tpl Template) {
		for id, r := range tpl.Resources {
			for _, doc := range policyDocuments(r) {
				for _, st := range stackstest.Statements(doc) {
					if st["Effect"] != "Allow" {
						continue
					}
					for _, a := range stackstest.AsStrings(st["Action"]) {
						if a == "*" || strings.HasSuffix(a, ":*") {
							t.Errorf("%s: Allow of action %q", id, a)
						}
					}
				}
			}
		}
	})
}

func policyDocuments(r Resource) []any {
	var docs []any
	for _, k := range []string{"PolicyDocument", "AssumeRolePolicyDocument"} {
		if d, ok := r.Properties[k]; ok {
			docs = append(docs, d)
		}
	}
	if ps, ok := r.Properties["Policies"].([]any); ok {
		for _, p := range ps {
			if m, ok := p.(map[string]any); ok {
				docs = append(docs, m["PolicyDocument"])
			}
		}
	}
	return docs
}

func TestEveryAPIMethodIsAuthenticated(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, _ deploy.Stack, tpl Template) {
		for id, r := range tpl.Resources {
			if r.Type != "AWS::ApiGateway::Method" {
				continue
			}
			switch r.Properties["AuthorizationType"] {
			case "AWS_IAM":
			case "CUSTOM":
				// The token path's methods use the Authorization-header
				// authorizer, every other one the cookie authorizer.
				want := "Authorizer"
				if strings.HasPrefix(methodPath(tpl, r), TokenPathPrefix+"/") {
					want = "TokenAuthorizer"
				}
				if refName(r.Properties["AuthorizerId"]) != want {
					t.Errorf("%s (%s): CUSTOM with authorizer %v, want %s", id, methodPath(tpl, r), r.Properties["AuthorizerId"], want)
				}
			default:
				t.Errorf("%s: AuthorizationType %v, want CUSTOM or AWS_IAM", id, r.Properties["AuthorizationType"])
			}
		}
	})
}

func TestEveryLogGroupHasTheConfiguredRetention(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, v variant, _ deploy.Stack, tpl Template) {
		for id, r := range tpl.Resources {
			if r.Type == "AWS::Logs::LogGroup" && r.Properties["RetentionInDays"] != v.cfg.Logs.RetentionDays {
				t.Errorf("%s: RetentionInDays %v, config says %d", id, r.Properties["RetentionInDays"], v.cfg.Logs.RetentionDays)
			}
		}
	})
}

var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`AKIA[0-9A-Z]{16}`),
	regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
	regexp.MustCompile(`(?i)\b(MasterUserPassword|SecretString|ClientSecret|aws_secret_access_key)\s*:`),
	regexp.MustCompile(`(?i)password=[^${}\s"]+`),
}

func TestNoLiteralSecrets(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, s deploy.Stack, tpl Template) {
		for _, re := range secretPatterns {
			if m := re.Find(s.Template); m != nil {
				t.Errorf("template contains %q", m)
			}
		}
		for k, v := range s.Params {
			if strings.Contains(strings.ToLower(k), "password") || strings.Contains(strings.ToLower(k), "secret") {
				t.Errorf("parameter %s=%q looks like a secret", k, v)
			}
		}
		// Container environments hold no credentials: those come from
		// Secrets (the RDS-managed secret) by reference.
		for id, r := range tpl.Resources {
			if r.Type != "AWS::ECS::TaskDefinition" {
				continue
			}
			for _, c := range r.Properties["ContainerDefinitions"].([]any) {
				for _, e := range c.(map[string]any)["Environment"].([]any) {
					name := e.(map[string]any)["Name"].(string)
					if regexp.MustCompile(`(?i)password|secret|token`).MatchString(name) {
						t.Errorf("%s: environment variable %s should be a secret reference", id, name)
					}
				}
			}
		}
	})
}

func TestTemplatesWithinSizeLimits(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, s deploy.Stack, _ Template) {
		if len(s.Template) > MaxTemplateURLBody {
			t.Errorf("%d bytes, over CloudFormation's %d", len(s.Template), MaxTemplateURLBody)
		}
		// Today every template fits inline; the engine uploads larger ones
		// to the assets bucket. Growing past the inline limit is fine, but
		// should be a decision: this test names it.
		if len(s.Template) > MaxTemplateBody {
			t.Logf("%d bytes: deployed through the assets bucket (TemplateURL)", len(s.Template))
		}
	})
}

func TestSummaryMarksLargeTemplatesForS3(t *testing.T) {
	big := deploy.Deployment{Name: "x", Stacks: []deploy.Stack{{
		ID:       "big",
		Template: []byte("Resources:\n  A:\n    Type: AWS::SNS::Topic\n# " + strings.Repeat("x", MaxTemplateBody) + "\n"),
	}}}
	sums, err := Summarize(big, func(string, string) string { return "" })
	if err != nil || !sums[0].ViaS3 || sums[0].Resources != 1 {
		t.Fatalf("summary %+v, err %v", sums, err)
	}
	big.Stacks[0].Template = append(big.Stacks[0].Template, []byte("# "+strings.Repeat("x", MaxTemplateURLBody))...)
	if _, err := Summarize(big, func(string, string) string { return "" }); err == nil {
		t.Fatal("a template over 1 MB must be refused")
	}
}

// Services that create their own log groups create them without a
// retention; the templates create those groups first.
func TestImplicitLogGroupsAreDeclared(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, _ deploy.Stack, tpl Template) {
		names := map[string]bool{}
		for _, r := range tpl.Resources {
			if r.Type == "AWS::Logs::LogGroup" {
				names[fmt.Sprint(r.Properties["LogGroupName"])] = true
			}
		}
		for id, r := range tpl.Resources {
			switch r.Type {
			case "AWS::RDS::DBCluster":
				for _, l := range stackstest.AsStrings(r.Properties["EnableCloudwatchLogsExports"]) {
					want := fmt.Sprintf("/aws/rds/cluster/%v/%s", r.Properties["DBClusterIdentifier"], l)
					// A restorable cluster's name is an Fn::If (pkg/upgrade
					// template_test.go checks its log group follows it).
					if _, restorable := r.Properties["SnapshotIdentifier"]; !names[want] && !restorable {
						t.Errorf("%s exports %s logs to %s, which the template does not declare", id, l, want)
					}
				}
			case "AWS::ApiGateway::Stage":
				if !names["map[Fn::Sub:API-Gateway-Execution-Logs_${RestApi}/prod]"] {
					t.Errorf("%s: execution log group not declared", id)
				}
			case "AWS::Lambda::Function":
				if refName(r.Properties["LoggingConfig"].(map[string]any)["LogGroup"]) == "" {
					t.Errorf("%s: no LoggingConfig.LogGroup; Lambda would create /aws/lambda/... without retention", id)
				}
			}
		}
	})
}
