package upgrade

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// docPolicy is the IAM policy in docs/upgrades.md, its placeholders filled.
func docPolicy(t *testing.T) (string, []statement) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "upgrades.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "## IAM permissions")
	m := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(doc[max(i, 0):])
	if i < 0 || m == nil {
		t.Fatal("docs/upgrades.md has no JSON policy under ## IAM permissions")
	}
	body := strings.NewReplacer("REGION", "us-east-1", "ACCOUNT", "123456789012", "NAME", "team-a").Replace(m[1])
	var p struct {
		Version   string
		Statement []statement
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Version != "2012-10-17" {
		t.Fatalf("the policy in docs/upgrades.md: %v (version %q)", err, p.Version)
	}
	return body, p.Statement
}

type statement struct {
	Sid       string
	Effect    string
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

func (s statement) actions() []string {
	switch a := s.Action.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// calls are the AWS actions behind every method of the interfaces the
// upgrade, backup and rollback code calls AWS through, plus what AWS
// checks beside them: tags on create need rds:AddTagsToResource ("Tagging
// Amazon RDS resources", RDS User Guide); a task definition or task with
// roles needs iam:PassRole on them ("Task execution IAM role", ECS
// Developer Guide). A method added to an interface is an action here.
func calls() map[string]bool {
	out := map[string]bool{"rds:AddTagsToResource": true, "iam:PassRole": true}
	for prefix, iface := range map[string][]reflect.Type{
		"rds":                     {reflect.TypeFor[RDS]()},
		"ecs":                     {reflect.TypeFor[ECS]()},
		"logs":                    {reflect.TypeFor[Logs]()},
		"application-autoscaling": {reflect.TypeFor[Scaling]()},
		"cloudformation":          {reflect.TypeFor[CloudFormation](), reflect.TypeFor[stacks.DescribeStacksAPI]()},
	} {
		for _, it := range iface {
			for i := range it.NumMethod() {
				out[prefix+":"+it.Method(i).Name] = true
			}
		}
	}
	return out
}

// TestDocPolicyCoversEveryCall: the policy in docs/upgrades.md allows every
// action the code calls, grants no wildcard action, and passes roles only
// to ECS tasks (no role can become another).
func TestDocPolicyCoversEveryCall(t *testing.T) {
	_, sts := docPolicy(t)
	allowed := map[string]bool{}
	for _, s := range sts {
		for _, a := range s.actions() {
			if strings.Contains(a, "*") {
				t.Errorf("statement %s grants the wildcard action %s", s.Sid, a)
			}
			if s.Effect == "Allow" {
				allowed[a] = true
			}
			if a == "iam:PassRole" && s.Condition["StringEquals"]["iam:PassedToService"] != "ecs-tasks.amazonaws.com" {
				t.Errorf("statement %s passes roles without iam:PassedToService ecs-tasks.amazonaws.com", s.Sid)
			}
		}
	}
	for a := range calls() {
		if !allowed[a] {
			t.Errorf("the code calls %s; docs/upgrades.md's policy does not allow it", a)
		}
	}
}

// TestDocPolicyPassesParliament: Duo Labs' parliament (pinned by
// .ci/setup.d/35-parliament.sh) finds no unknown action, condition key
// that does not apply, or resource of the wrong type in the doc's policy.
func TestDocPolicyPassesParliament(t *testing.T) {
	body, _ := docPolicy(t)
	venv := os.Getenv("MLFLOWCTL_PARLIAMENT_VENV") // as pkg/stacks/rules reads it
	if venv == "" {
		venv = filepath.Join(os.Getenv("HOME"), ".cache", "mlflowctl", "parliament-venv")
	}
	bin := filepath.Join(venv, "bin", "parliament")
	if _, err := os.Stat(bin); err != nil {
		if p, err := exec.LookPath("parliament"); err == nil {
			bin = p
		} else if os.Getenv("CI") == "true" {
			t.Fatal("parliament is not installed: bash .ci/setup.d/35-parliament.sh installs it")
		} else {
			t.Skip("parliament is not installed; skipped outside CI")
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "upgrades.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--directory", dir, "--include_policy_extension", ".json", "--json")
	out, err := cmd.Output()
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		t.Errorf("parliament: %s", sc.Text())
	}
	if err != nil && len(out) == 0 {
		t.Fatalf("parliament failed: %v", err)
	}
}
