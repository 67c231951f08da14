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

// TestStudioRolesCannotBecomeAnother: each group's SageMaker execution
// role is the boundary between groups. AmazonSageMakerFullAccess allows
// sagemaker:CreatePresignedDomainUrl on any user profile and iam:PassRole
// of any role to SageMaker, so a reader could open Studio as the admin
// profile, or run a job with the admin role, and gain admin rights on
// MLflow. So: no AWS managed policy at all; iam:PassRole only of the
// role's own ARN and only to SageMaker; presigned URLs only for the
// role's own profile; apps and spaces only where the owner is the role's
// own profile; no wildcard sagemaker or iam actions.
//
//   - https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSageMakerFullAccess.html
//     (sagemaker:* on *, iam:PassRole to sagemaker.amazonaws.com)
//   - https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_id-based-policy-examples.html
//     (CreatePresignedDomainUrl restricted to one user profile; spaces
//     restricted with sagemaker:OwnerUserProfileArn)
//   - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
func TestStudioRolesCannotBecomeAnother(t *testing.T) {
	forEachStack(t, stacks.Studio, func(t *testing.T, v variant, _ deploy.Stack, tpl stacks.Template) {
		profiles := profilesByRole(tpl)
		if len(profiles) != len(v.cfg.Groups) {
			t.Fatalf("found profiles %v for %d groups", profiles, len(v.cfg.Groups))
		}
		for _, role := range sortedKeys(profiles) {
			own := profiles[role]
			if arns := managedPolicyARNs(tpl.Resources[role]); len(arns) > 0 {
				t.Errorf("role %s attaches AWS managed policies %v", role, arns)
			}
			for _, doc := range permissionDocs(tpl, role) {
				for _, st := range stackstest.Statements(doc) {
					checkStudioStatement(t, role, own, st)
				}
			}
		}
	})
}

// profilesByRole maps each execution role to the profile name that uses it.
func profilesByRole(tpl stacks.Template) map[string]string {
	out := map[string]string{}
	for _, id := range sortedIDs(ofType(tpl, "AWS::SageMaker::UserProfile")) {
		p := tpl.Resources[id].Properties
		us, _ := p["UserSettings"].(map[string]any)
		name, _ := p["UserProfileName"].(string)
		out[refTarget(us["ExecutionRole"])] = name
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ownerBound are the actions that must name the role's own profile, in
// the resource or in an sagemaker:OwnerUserProfileArn condition.
var ownerBound = []string{"sagemaker:CreatePresignedDomainUrl", "sagemaker:CreateApp", "sagemaker:DeleteApp",
	"sagemaker:CreateSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace"}

func checkStudioStatement(t *testing.T, role, profile string, st map[string]any) {
	t.Helper()
	if st["Effect"] != "Allow" {
		return
	}
	actions := stackstest.AsStrings(st["Action"])
	resources := fmt.Sprint(st["Resource"])
	for _, a := range actions {
		low := strings.ToLower(a)
		if low == "*" || strings.HasPrefix(low, "sagemaker:*") || strings.HasPrefix(low, "iam:*") || strings.HasPrefix(low, "sts:") {
			t.Errorf("role %s allows %s", role, a)
		}
		switch {
		case strings.EqualFold(a, "iam:PassRole"):
			r, _ := st["Resource"].(map[string]any)
			if refTarget(r) != role {
				t.Errorf("role %s may pass %v, not only itself", role, st["Resource"])
			}
			if !strings.Contains(fmt.Sprint(st["Condition"]), "iam:PassedToService:sagemaker.amazonaws.com") {
				t.Errorf("role %s may pass itself to services other than SageMaker: %v", role, st["Condition"])
			}
		case slices.Contains(ownerBound, a):
			scope := resources + " " + fmt.Sprint(st["Condition"])
			if !strings.Contains(scope, "/"+profile) {
				t.Errorf("role %s: %s is not confined to its own profile %s: resource %s, condition %v", role, a, profile, resources, st["Condition"])
			}
			if strings.Contains(resources, "user-profile/*") || strings.Contains(resources, "user-profile/${") && !strings.Contains(resources, profile) {
				t.Errorf("role %s: %s on any profile (%s)", role, a, resources)
			}
		}
	}
}
