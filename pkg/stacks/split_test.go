package stacks

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// rawResources reads a template's resources whole (DeletionPolicy,
// UpdateReplacePolicy, DependsOn, Metadata and Properties), in the
// long form of the intrinsics.
func rawResources(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	doc, _ := nodeValue(&n).(map[string]any)
	res, _ := doc["Resources"].(map[string]any)
	if len(res) == 0 {
		t.Fatal("template without resources")
	}
	return res
}

// movedTypes are the only resource types the server stack may lose to the
// services stack: none holds data, each is re-created by the services
// stack.
var movedTypes = []string{
	"AWS::ECS::TaskDefinition", "AWS::ECS::Service",
	"AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy",
}

// TestSplitKeepsTheServerStacksResources: a deployment made before the
// split has one server stack with everything; up updates that same stack
// (the name and ID "server" stay) with the new server template, then
// creates the services stack. CloudFormation updates a stack from the
// difference between the submitted template and the current one:
// "Resources that haven't changed run without disruption during the
// update", a changed property may replace the resource (new physical ID),
// and a resource removed from the template is deleted unless its
// DeletionPolicy says Retain ("This capability also applies to stack
// update operations that lead to resources being deleted from stacks. For
// example, if you remove the resource from the stack template, and then
// update the stack with the template.").
//
//   - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html
//   - https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
//
// So the rule, for every variant, against the server template rendered
// by the last version before the split (testdata/presplit, the goldens of
// that version): every resource the new server template has is
// byte-for-byte the resource it had (same logical ID, type, properties,
// policies: no update, so no replacement: the Aurora cluster, its
// instance, the buckets, the VPC and the NLB keep their physical IDs),
// and the only resources it drops are the ones the services stack now
// declares under the same logical IDs, of types that hold no data.
func TestSplitKeepsTheServerStacksResources(t *testing.T) {
	for _, v := range variants() {
		path := filepath.Join("testdata", "presplit", v.name, "server.yaml")
		old, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		before := rawResources(t, old)
		d := render(t, v.cfg)
		after := rawResources(t, mustStack(t, d, Server).Template)
		services := parsed(t, mustStack(t, d, Services))
		for _, id := range []string{"DbCluster", "DbInstance", "ArtifactBucket", "DeployBucket", "AccessLogBucket", "Vpc", "Nlb"} {
			if _, ok := after[id]; !ok {
				t.Errorf("%s: the server stack no longer has %s: the update would delete it", v.name, id)
			}
		}
		for id, was := range before {
			now, kept := after[id]
			if kept {
				if !reflect.DeepEqual(was, now) {
					t.Errorf("%s: server resource %s changes in the split (an update, maybe a replacement):\n was %v\n now %v", v.name, id, was, now)
				}
				continue
			}
			typ, _ := was.(map[string]any)["Type"].(string)
			if !slices.Contains(movedTypes, typ) {
				t.Errorf("%s: the update would delete %s (%s), which is not a resource the services stack may take", v.name, id, typ)
			}
			if services.Resources[id].Type != typ {
				t.Errorf("%s: %s (%s) leaves the server stack but the services stack does not declare it", v.name, id, typ)
			}
		}
		for id := range after {
			if _, ok := before[id]; !ok {
				t.Errorf("%s: the split adds %s to the server stack", v.name, id)
			}
		}
		for id := range services.Resources {
			if _, ok := before[id]; !ok {
				t.Errorf("%s: the services stack has %s, which the server stack never had", v.name, id)
			}
		}
	}
}

// TestServicesStackStartsAfterTheServerStacksCleanup: the moved resources
// keep their explicit names (ECS service names in the cluster, task
// definition families, scaling policy names, the scalable target's
// service/<cluster>/<service> id), so the old ones must be gone before
// the services stack creates them. CloudFormation deletes the resources
// removed from a template in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, a final
// pass before UPDATE_COMPLETE ("Ongoing removal of old resources ... after
// a successful stack update"), the engine waits for a settled status
// (pkg/deploy wait: *_IN_PROGRESS is not settled), and it starts a stack
// only once its dependencies are complete: so the services stack must
// depend on the server stack.
//
//   - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-describing-stacks.html
//     (stack status codes)
//   - architect/deploy#398 (treating UPDATE_COMPLETE_CLEANUP_IN_PROGRESS
//     as done races the removals)
//
// An ECS service deleted with tasks is DRAINING until they stop, and a
// service of the same name cannot be created meanwhile ("Creation of
// service was not idempotent", hashicorp/terraform-provider-aws#2283);
// CloudFormation's delete waits for the tasks to drain (its delete of a
// service whose tasks do not stop times out: aws-samples/eb-java-scorekeep#21),
// which this rule relies on and cannot show here.
func TestServicesStackStartsAfterTheServerStacksCleanup(t *testing.T) {
	for _, v := range variants() {
		s := mustStack(t, render(t, v.cfg), Services)
		if !slices.Contains(s.DependsOn, Server) {
			t.Errorf("%s: the services stack does not wait for the server stack (%v)", v.name, s.DependsOn)
		}
	}
}
