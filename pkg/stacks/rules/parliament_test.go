package rules

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/apigwlogs"
	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// Placeholder values for what CloudFormation resolves at deploy time, in
// the form AWS gives them, so parliament can check resources against each
// action's resource types.
const (
	testRegion     = "us-east-1"
	testAccount    = "123456789012"
	stageARNInTest = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod"
)

// arnOf is a plausible ARN for a resource of this template.
func arnOf(tpl stacks.Template, id string) string {
	name := strings.ToLower(id)
	switch tpl.Resources[id].Type {
	case "AWS::Logs::LogGroup":
		return "arn:aws:logs:" + testRegion + ":" + testAccount + ":log-group:/mlflowctl/" + name + ":*"
	case "AWS::S3::Bucket":
		return "arn:aws:s3:::" + name
	case "AWS::IAM::Role":
		return "arn:aws:iam::" + testAccount + ":role/" + name
	case "AWS::ECR::Repository":
		return "arn:aws:ecr:" + testRegion + ":" + testAccount + ":repository/" + name
	case "AWS::CodeBuild::Project":
		return "arn:aws:codebuild:" + testRegion + ":" + testAccount + ":project/" + name
	}
	return "arn:aws:unknown:" + testRegion + ":" + testAccount + ":" + name
}

var subVar = regexp.MustCompile(`\$\{([^}]+)\}`)

// resolve turns intrinsics into the strings they become.
func resolve(tpl stacks.Template, v any) any {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["Fn::Sub"].(string); ok {
			return subVar.ReplaceAllStringFunc(s, func(m string) string { return subValue(tpl, m[2:len(m)-1]) })
		}
		if r, ok := x["Ref"].(string); ok {
			return subValue(tpl, r)
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			return subValue(tpl, fmt.Sprint(ga[0])+"."+fmt.Sprint(ga[1]))
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = resolve(tpl, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(tpl, e)
		}
		return out
	}
	return v
}

func subValue(tpl stacks.Template, name string) string {
	switch name {
	case "AWS::Partition":
		return "aws"
	case "AWS::Region":
		return testRegion
	case "AWS::AccountId":
		return testAccount
	case "AWS::URLSuffix":
		return "amazonaws.com"
	}
	id, attr, _ := strings.Cut(name, ".")
	switch {
	case attr == "Arn":
		return arnOf(tpl, id)
	case attr == "MasterUserSecret.SecretArn":
		return "arn:aws:secretsmanager:" + testRegion + ":" + testAccount + ":secret:rds!cluster-abc-AbCdEf"
	case attr == "DomainId":
		return "d-abcdef123456"
	case attr != "":
		return strings.ToLower(id + "-" + attr)
	}
	// Ref of a Secrets Manager secret is its ARN (the resource's
	// CloudFormation reference page, "Return values").
	if r, ok := tpl.Resources[id]; ok && r.Type == "AWS::SecretsManager::Secret" {
		return "arn:aws:secretsmanager:" + testRegion + ":" + testAccount + ":secret:" + strings.ToLower(id) + "-AbCdEf"
	}
	return strings.ToLower(id) // a parameter or a resource's name
}

// policyDocs lists (name, document) for every policy of a template.
func policyDocs(tpl stacks.Template) map[string]any {
	out := map[string]any{}
	for _, id := range sortedIDs(tpl.Resources) {
		r := tpl.Resources[id]
		for _, k := range []string{"PolicyDocument", "AssumeRolePolicyDocument"} {
			if d, ok := r.Properties[k]; ok {
				out[id+"."+k] = resolve(tpl, d)
			}
		}
		ps, _ := r.Properties["Policies"].([]any)
		for _, p := range ps {
			m, _ := p.(map[string]any)
			out[fmt.Sprintf("%s.%v", id, m["PolicyName"])] = resolve(tpl, m["PolicyDocument"])
		}
	}
	return out
}

// authorizerAnswers are the policy documents the Lambda authorizer
// returns: one Allow statement with the group's patterns under the stage.
func authorizerAnswers(t *testing.T, groups []config.Group) map[string]any {
	t.Helper()
	b, err := authz.AuthorizerPolicy(groups)
	if err != nil {
		t.Fatal(err)
	}
	var doc authz.AuthorizerDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for g, patterns := range doc.Groups {
		res := make([]any, len(patterns))
		for i, p := range patterns {
			res[i] = stageARNInTest + "/" + p
		}
		out["authorizer-answer."+g] = map[string]any{"Version": "2012-10-17", "Statement": []any{
			map[string]any{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": res}}}
	}
	return out
}

// finding is one line of parliament's --json output.
type finding struct {
	Issue    string `json:"issue"`
	Detail   any    `json:"detail"`
	Location struct {
		Filepath string `json:"filepath"`
	} `json:"location"`
}

// justification says why a finding is right for this project, or "".
// Every other finding fails the test.
func justification(f finding) string {
	file := filepath.Base(f.Location.Filepath)
	detail := fmt.Sprint(f.Detail)
	switch {
	case f.Issue == "MALFORMED" && (strings.Contains(file, "AssumeRolePolicyDocument") || strings.HasPrefix(file, "apigwlogs-trust")) &&
		strings.Contains(detail, "neither Resource nor NotResource"):
		// A trust policy is a resource policy on the role: it names a
		// Principal and no Resource, by definition. Parliament reads
		// every document as an identity policy.
		return "trust policy"
	case f.Issue == "RESOURCE_MISMATCH" && strings.HasSuffix(file, "bedrock.json") && onlyOtherBedrockTypes(f.Detail):
		// InvokeModel accepts any one of its resource types; parliament
		// requires each in every statement. mlflowctl grants foundation
		// models and inference profiles only, on purpose, in two
		// statements (TestBedrockProfilesReachTheirModels checks both).
		return "bedrock resource types"
	}
	return ""
}

// onlyOtherBedrockTypes: every unmatched format is a Bedrock resource type
// other than foundation models.
func onlyOtherBedrockTypes(detail any) bool {
	list, _ := detail.([]any)
	for _, d := range list {
		m, _ := d.(map[string]any)
		format := fmt.Sprint(m["required_format"])
		if !strings.HasPrefix(fmt.Sprint(m["action"]), "bedrock:InvokeModel") || !strings.HasPrefix(format, "arn:*:bedrock:") ||
			strings.Contains(format, ":foundation-model/") {
			return false
		}
	}
	return len(list) > 0
}

// TestIAMPoliciesPassParliament runs Duo Labs' parliament (pinned by
// .ci/setup.d/35-parliament.sh) over every policy document the templates
// of every variant carry, the authorizer's answers for the default groups
// and the trust policy of API Gateway's logging role: unknown actions,
// condition keys that do not apply to an action, resources that match no
// resource type of their action, malformed documents. Zero findings, or
// each justified in the justified table.
//
//   - https://github.com/duo-labs/parliament
func TestIAMPoliciesPassParliament(t *testing.T) {
	bin := parliamentBin(t)
	dir := t.TempDir()
	n := 0
	write := func(name string, doc any) {
		b, err := json.MarshalIndent(doc, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(name)+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	for _, v := range variants() {
		for _, s := range render(t, v.cfg).Stacks {
			for name, doc := range policyDocs(parse(t, s)) {
				write(v.name+"-"+s.ID+"-"+name, doc)
			}
		}
	}
	for name, doc := range authorizerAnswers(t, config.Defaults().Groups) {
		write(name, doc)
	}
	var trust any
	if err := json.Unmarshal([]byte(apigwlogs.TrustPolicy), &trust); err != nil {
		t.Fatal(err)
	}
	write("apigwlogs-trust", trust)

	cmd := exec.Command(bin, "--directory", dir, "--include_policy_extension", ".json", "--json")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.Output()
	findings, justifiedCount := 0, map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var f finding
		if json.Unmarshal(sc.Bytes(), &f) != nil {
			continue
		}
		if why := justification(f); why != "" {
			justifiedCount[why]++
			continue
		}
		findings++
		t.Errorf("parliament: %s in %s: %v", f.Issue, filepath.Base(f.Location.Filepath), f.Detail)
	}
	// parliament exits 1 when it reports findings; without any output
	// the failure is its own.
	if err != nil && len(out) == 0 {
		var ee *exec.ExitError
		stderr := ""
		if errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("parliament failed: %v\n%s", err, stderr)
	}
	t.Logf("parliament: %d policy documents, %d unjustified findings, justified %v", n, findings, justifiedCount)
}

// parliamentBin finds parliament in its venv; outside CI a missing one
// skips the test, in CI it fails (.ci/run installs it).
func parliamentBin(t *testing.T) string {
	t.Helper()
	venv := os.Getenv("MLFLOWCTL_PARLIAMENT_VENV")
	if venv == "" {
		home, _ := os.UserHomeDir()
		venv = filepath.Join(home, ".cache", "mlflowctl", "parliament-venv")
	}
	bin := filepath.Join(venv, "bin", "parliament")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if p, err := exec.LookPath("parliament"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("parliament is not installed: bash .ci/setup.d/35-parliament.sh installs it")
	}
	t.Skip("parliament is not installed (bash .ci/setup.d/35-parliament.sh installs it); skipped outside CI")
	return ""
}
