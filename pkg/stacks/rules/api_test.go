package rules

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// TestTracedFunctionsMayWriteTraces: a function with active tracing needs
// xray:PutTraceSegments and xray:PutTelemetryRecords in its execution
// role; Lambda checks it at CreateFunction and refuses ("The provided
// execution role does not have permissions to call PutTraceSegments on
// XRAY"), which rolled back the whole api stack. X-Ray supports no
// resource-level permissions for these actions, so they take "*".
//
//   - https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
//     ("Your function needs permission to upload trace data to X-Ray ...
//     add the AWSXRayDaemonWriteAccess policy to the execution role")
//   - https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
func TestTracedFunctionsMayWriteTraces(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, _ deploy.Stack, tpl stacks.Template) {
		for _, id := range sortedIDs(ofType(tpl, "AWS::Lambda::Function")) {
			fn := tpl.Resources[id]
			tc, _ := fn.Properties["TracingConfig"].(map[string]any)
			if tc["Mode"] != "Active" {
				continue
			}
			role := refTarget(fn.Properties["Role"])
			if role == "" {
				t.Fatalf("%s: role %v is not a role of this template", id, fn.Properties["Role"])
			}
			if managed := strings.Join(managedPolicyARNs(tpl.Resources[role]), " "); strings.Contains(managed, "AWSXRayDaemonWriteAccess") {
				continue
			}
			for _, a := range []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"} {
				if !allowsAction(permissionDocs(tpl, role), a) {
					t.Errorf("%s has active tracing but its role %s may not call %s", id, role, a)
				}
			}
		}
	})
}

// TestAPIGatewayAccountIsLeftToMlflowctl: API Gateway's CloudWatch role is
// one setting per account and region. In a template it (1) races the
// role's IAM propagation ("The role ARN does not have required permissions
// set to API Gateway", which CloudFormation does not retry), and (2)
// overwrites whatever role the account already uses. mlflowctl sets it
// before the api stack (pkg/apigwlogs: keep an existing role, else create
// one and retry while IAM propagates), so no template may hold an
// AWS::ApiGateway::Account, nor a role trusting apigateway.amazonaws.com
// with an aws:SourceAccount condition the documentation does not give.
//
//   - https://github.com/aws/aws-cdk/issues/2194 (the race in CloudFormation)
//   - https://github.com/serverless/serverless/pull/6591 ("it cannot be done
//     reliably in context of CloudFormation stack": moved to a custom step)
//   - https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
//     (the role's trust policy: apigateway.amazonaws.com, no condition)
func TestAPIGatewayAccountIsLeftToMlflowctl(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, _ deploy.Stack, tpl stacks.Template) {
		for _, id := range sortedIDs(ofType(tpl, "AWS::ApiGateway::Account")) {
			t.Errorf("%s sets the account's CloudWatch role in a template", id)
		}
		for _, id := range sortedIDs(ofType(tpl, "AWS::IAM::Role")) {
			trust := fmt.Sprint(tpl.Resources[id].Properties["AssumeRolePolicyDocument"])
			if strings.Contains(trust, "apigateway.amazonaws.com") {
				t.Errorf("role %s trusts API Gateway: the account's logging role is mlflowctl's step, not a template's", id)
			}
		}
	})
}

var deploymentRe = regexp.MustCompile(`(?m)^  (Deployment[0-9a-f]+):\n    Type: AWS::ApiGateway::Deployment`)

// TestAPIDeploymentFollowsTheBackend: a stage serves a snapshot of the
// API taken when its AWS::ApiGateway::Deployment was created; updating a
// method's integration (a new NLB DNS name) or the VPC link (a new NLB
// ARN replaces it) does not change the snapshot. The deployment's logical
// id must therefore change with the NLB's parameters too, not only with
// the template text, or a replaced NLB leaves the stage pointing at a
// deleted VPC link.
//
//   - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-deployment.html
//     ("to update the stage with a new deployment ... change the logical ID")
//   - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-vpclink.html
//     (TargetArns: update requires replacement)
func TestAPIDeploymentFollowsTheBackend(t *testing.T) {
	forEachStack(t, stacks.API, func(t *testing.T, _ variant, s deploy.Stack, _ stacks.Template) {
		a := map[string]string{stacks.ParamNlbArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a/1", stacks.ParamNlbDNSName: "a-1.elb.us-east-1.amazonaws.com"}
		b := map[string]string{stacks.ParamNlbArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/b/2", stacks.ParamNlbDNSName: "b-2.elb.us-east-1.amazonaws.com"}
		idA, idA2, idB := deploymentID(t, s, a), deploymentID(t, s, a), deploymentID(t, s, b)
		if idA != idA2 {
			t.Errorf("the same NLB gives two deployment ids %s and %s: every up would redeploy", idA, idA2)
		}
		if idA == idB {
			t.Errorf("a replaced NLB keeps deployment %s: the stage stays on the old snapshot", idA)
		}
	})
}

// deploymentID is the API deployment's logical id in the template the
// engine submits with these parameters.
func deploymentID(t *testing.T, s deploy.Stack, params map[string]string) string {
	t.Helper()
	tpl := s.Template
	if s.Finalize != nil {
		var err error
		if tpl, err = s.Finalize(tpl, params); err != nil {
			t.Fatal(err)
		}
	}
	m := deploymentRe.FindSubmatch(tpl)
	if m == nil {
		t.Fatal("no AWS::ApiGateway::Deployment in the api template")
	}
	return string(m[1])
}

// TestProtectedPoolsAreFoundByDown: Cognito refuses to delete a pool with
// DeletionProtection ACTIVE (InvalidParameterException), so `down` turns
// it off first (teardown.LiftDeletionProtection), finding the pool by the
// stack's UserPoolId output. Every protected pool must be that output, or
// its stack can never be deleted. (This contract held before issue 16;
// what failed was teardown, whose test is
// pkg/teardown TestDownDeletesStudioFirstThenEverything.)
//
//   - https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-deletion-protection.html
func TestProtectedPoolsAreFoundByDown(t *testing.T) {
	forEachStack(t, stacks.API, func(t *testing.T, _ variant, _ deploy.Stack, tpl stacks.Template) {
		out := tpl.Outputs[stacks.OutUserPoolID]
		for _, id := range sortedIDs(ofType(tpl, "AWS::Cognito::UserPool")) {
			if tpl.Resources[id].Properties["DeletionProtection"] != "ACTIVE" {
				continue
			}
			if refTarget(out["Value"]) != id {
				t.Errorf("pool %s has deletion protection but output %s is %v: down cannot lift it", id, stacks.OutUserPoolID, out["Value"])
			}
		}
	})
}
