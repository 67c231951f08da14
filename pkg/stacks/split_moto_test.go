package stacks

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.yaml.in/yaml/v3"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// motoTypes are the resource types of our templates that moto's
// CloudFormation creates, updates and deletes from the properties we use
// (research/test-infra.md §2.1). Not among them: AWS::RDS::DBCluster
// (moto's CloudFormation skips it), TCP NLB listeners, security group
// egress rules, bucket policies, Cloud Map, Secrets Manager; subnets
// (their CIDR is a GetAtt moto does not implement).
var motoTypes = []string{
	"AWS::EC2::VPC", "AWS::EC2::InternetGateway", "AWS::S3::Bucket",
	"AWS::Logs::LogGroup", "AWS::ECS::Cluster",
}

// motoProjection keeps the resources of a real rendered template that
// moto can create: of a type in motoTypes and referring (Ref, GetAtt,
// Sub) to nothing else and to no parameter; DependsOn on a dropped
// resource is removed, so are the outputs of dropped resources and the
// parameters. It returns the template and the logical IDs it kept.
func motoProjection(t *testing.T, tpl []byte) ([]byte, []string) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(tpl, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	res := mapValue(root, "Resources")
	keep := map[string]bool{}
	for i := 0; i+1 < len(res.Content); i += 2 {
		if slices.Contains(motoTypes, mapValue(res.Content[i+1], "Type").Value) {
			keep[res.Content[i].Value] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for i := 0; i+1 < len(res.Content); i += 2 {
			id := res.Content[i].Value
			if !keep[id] {
				continue
			}
			for _, ref := range refsOf(mapValue(res.Content[i+1], "Properties")) {
				if !strings.HasPrefix(ref, "AWS::") && !keep[ref] {
					keep[id], changed = false, true
				}
			}
		}
	}
	var kept []string
	res.Content = filterPairs(res.Content, func(k string, v *yaml.Node) bool {
		if !keep[k] {
			return false
		}
		kept = append(kept, k)
		if dep := mapValue(v, "DependsOn"); dep != nil {
			var live []*yaml.Node
			for _, d := range append([]*yaml.Node{dep}, dep.Content...) {
				if d.Kind == yaml.ScalarNode && keep[d.Value] {
					live = append(live, d)
				}
			}
			v.Content = filterPairs(v.Content, func(k string, _ *yaml.Node) bool { return k != "DependsOn" })
			if len(live) > 0 {
				v.Content = append(v.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "DependsOn"},
					&yaml.Node{Kind: yaml.SequenceNode, Content: live})
			}
		}
		return true
	})
	if outs := mapValue(root, "Outputs"); outs != nil {
		outs.Content = filterPairs(outs.Content, func(_ string, v *yaml.Node) bool {
			for _, ref := range refsOf(v) {
				if !strings.HasPrefix(ref, "AWS::") && !keep[ref] {
					return false
				}
			}
			return true
		})
	}
	root.Content = filterPairs(root.Content, func(k string, _ *yaml.Node) bool { return k != "Parameters" })
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(&doc); err != nil {
		t.Fatal(err)
	}
	slices.Sort(kept)
	return buf.Bytes(), kept
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func filterPairs(content []*yaml.Node, keep func(string, *yaml.Node) bool) []*yaml.Node {
	var out []*yaml.Node
	for i := 0; i+1 < len(content); i += 2 {
		if keep(content[i].Value, content[i+1]) {
			out = append(out, content[i], content[i+1])
		}
	}
	return out
}

var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9:]+)(\.[A-Za-z0-9.]+)?\}`)

// refsOf lists the logical IDs and parameters a node refers to.
func refsOf(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	var out []string
	switch n.Tag {
	case "!Ref":
		out = append(out, n.Value)
	case "!GetAtt":
		out = append(out, strings.SplitN(n.Value, ".", 2)[0])
	case "!Sub":
		for _, m := range subRef.FindAllStringSubmatch(n.Value, -1) {
			out = append(out, m[1])
		}
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "Ref" {
				out = append(out, n.Content[i+1].Value)
			}
		}
	}
	for _, c := range n.Content {
		out = append(out, refsOf(c)...)
	}
	return out
}

// TestSplitUpdatesAPreSplitServerStackInPlaceInMoto deploys the server
// stack as the last version before the split rendered it, puts an
// artifact in its bucket, then deploys the new layout (server and
// services stacks) with the real engine, and checks that the server stack
// was updated in place (same stack ID) and that the VPC, the ECS cluster
// and the buckets are the same objects, the artifact still there.
//
// CloudFormation's rules this stands in for: an update changes only what
// differs between the templates, and a resource removed from the template
// is deleted unless its DeletionPolicy retains it:
//
//   - https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html
//   - https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
//
// What moto cannot show: it creates only the types in motoTypes from
// these templates (motoProjection lists what it kept), and its
// CloudFormation skips AWS::RDS::DBCluster altogether, so the Aurora
// cluster is not in this test; TestSplitKeepsTheServerStacksResources
// shows from the templates that DbCluster and DbInstance are unchanged,
// which per the first page above means CloudFormation does not touch them.
func TestSplitUpdatesAPreSplitServerStackInPlaceInMoto(t *testing.T) {
	srv := mototest.Start(t)
	ctx := context.Background()
	awsCfg := aws.Config{
		Region: mototest.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
	cfn := cloudformation.NewFromConfig(awsCfg)
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true })
	v := variants()[5] // minimal: deployment "tiny"
	old, err := os.ReadFile(filepath.Join("testdata", "presplit", v.name, "server.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	oldTpl, oldKept := motoProjection(t, old)
	for _, id := range []string{"Vpc", "Cluster", "ArtifactBucket", "DeployBucket", "AccessLogBucket"} {
		if !slices.Contains(oldKept, id) {
			t.Fatalf("the moto projection of the old server stack lost %s (kept %v): the test would check nothing", id, oldKept)
		}
	}
	eng := deploy.New(cfn, deploy.Options{Version: "test", DirectCalls: true})
	name := v.cfg.Name
	before, err := eng.Deploy(ctx, deploy.Deployment{Name: name, Stacks: []deploy.Stack{{ID: Server, Template: oldTpl}}})
	if err != nil {
		t.Fatal(err)
	}
	oldStack, found, err := Read(ctx, cfn, name, Server)
	if err != nil || !found {
		t.Fatalf("old server stack: %v %v", found, err)
	}
	bucket := before[Server][OutArtifactBucket]
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("artifacts/1/run/model.pkl"), Body: strings.NewReader("weights")}); err != nil {
		t.Fatalf("put an artifact in %q: %v", bucket, err)
	}

	d := render(t, v.cfg)
	newServer, _ := motoProjection(t, mustStack(t, d, Server).Template)
	newServices, servicesKept := motoProjection(t, mustStack(t, d, Services).Template)
	stacks := []deploy.Stack{{ID: Server, Template: newServer}}
	if len(servicesKept) > 0 {
		stacks = append(stacks, deploy.Stack{ID: Services, Template: newServices, DependsOn: []string{Server}})
	}
	after, err := eng.Deploy(ctx, deploy.Deployment{Name: name, Stacks: stacks})
	if err != nil {
		t.Fatal(err)
	}
	newStack, _, err := Read(ctx, cfn, name, Server)
	if err != nil {
		t.Fatal(err)
	}
	if newStack.Status != "UPDATE_COMPLETE" {
		t.Errorf("server stack %s after the split, want UPDATE_COMPLETE (updated in place)", newStack.Status)
	}
	ids := func(name string) string {
		out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		if err != nil || len(out.Stacks) == 0 {
			t.Fatalf("describe %s: %v", name, err)
		}
		return aws.ToString(out.Stacks[0].StackId)
	}
	if oldStack.Name != newStack.Name || ids(newStack.Name) == "" {
		t.Fatalf("server stack renamed: %s -> %s", oldStack.Name, newStack.Name)
	}
	for _, key := range []string{OutVpcID, OutClusterName, OutArtifactBucket, OutDeployBucket, OutAccessLogBucket} {
		if before[Server][key] == "" || after[Server][key] != before[Server][key] {
			t.Errorf("output %s: %q before the split, %q after: not the same object", key, before[Server][key], after[Server][key])
		}
	}
	got, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("artifacts/1/run/model.pkl")})
	if err != nil {
		t.Fatalf("the artifact is gone from %s after the split: %v", bucket, err)
	}
	_ = got.Body.Close()
	t.Logf("moto kept %v of the old server stack; services stack resources moto can create: %v", oldKept, servicesKept)
}
