package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/mlflowctl/mlflowctl/pkg/config"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// MaxTemplateBody is the largest template CloudFormation accepts inline;
// larger ones go through the assets bucket (TemplateURL).
const MaxTemplateBody = 51200

// MaxTemplateURLBody is the largest template CloudFormation accepts from S3.
const MaxTemplateURLBody = 1000000

// ParamValue is one stack parameter as a dry run can know it.
type ParamValue struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"` // config, "<stack>.<Output>", or deploy time
}

// StackSummary describes one rendered stack.
type StackSummary struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	DependsOn     []string       `json:"dependsOn"`
	Resources     int            `json:"resources"`
	ByType        map[string]int `json:"resourcesByType"`
	Parameters    []ParamValue   `json:"parameters"`
	TemplateBytes int            `json:"templateBytes"`
	ViaS3         bool           `json:"templateViaS3"`
	TemplateFile  string         `json:"templateFile,omitempty"`
	ParamsFile    string         `json:"parametersFile,omitempty"`
}

// DeployTimeValues are the placeholders of parameters a dry run cannot
// know: they come from stack outputs or from steps run during up.
type DeployTimeValues func(stack, param string) string

// Summarize describes every stack of d; placeholder gives the value shown
// for parameters that are only known at deploy time.
func Summarize(d deploy.Deployment, placeholder DeployTimeValues) ([]StackSummary, error) {
	out := make([]StackSummary, 0, len(d.Stacks))
	for _, s := range d.Stacks {
		t, err := ParseTemplate(s.Template)
		if err != nil {
			return nil, fmt.Errorf("stack %s: rendered template does not parse: %w", s.ID, err)
		}
		if len(s.Template) > MaxTemplateURLBody {
			return nil, fmt.Errorf("stack %s: template is %d bytes, over CloudFormation's %d", s.ID, len(s.Template), MaxTemplateURLBody)
		}
		sum := StackSummary{
			ID: s.ID, Name: d.StackName(s.ID), DependsOn: s.DependsOn,
			Resources: len(t.Resources), ByType: t.CountByType(),
			TemplateBytes: len(s.Template), ViaS3: len(s.Template) > MaxTemplateBody,
		}
		sum.Parameters = parameters(s, t, placeholder)
		out = append(out, sum)
	}
	return out, nil
}

func parameters(s deploy.Stack, t Template, placeholder DeployTimeValues) []ParamValue {
	imports := map[string]deploy.Import{}
	for _, im := range s.Imports {
		imports[im.Param] = im
	}
	var out []ParamValue
	for _, k := range t.ParameterNames() {
		switch {
		case s.Params[k] != "":
			out = append(out, ParamValue{k, s.Params[k], "config"})
		case imports[k].FromStack != "":
			im := imports[k]
			src := im.FromStack + "." + im.Output
			out = append(out, ParamValue{k, "<output " + im.Output + " of stack " + im.FromStack + ">", src})
		default:
			out = append(out, ParamValue{k, placeholder(s.ID, k), "deploy time"})
		}
	}
	return out
}

// WriteFiles writes each stack's template (<id>.yaml) and parameter file
// (<id>.parameters.json, CloudFormation's CLI format) to dir, and records
// the file names in sums.
func WriteFiles(dir string, d deploy.Deployment, sums []StackSummary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	byID := map[string]int{}
	for i, s := range sums {
		byID[s.ID] = i
	}
	for _, s := range d.Stacks {
		i, ok := byID[s.ID]
		if !ok {
			return fmt.Errorf("stack %s has no summary", s.ID)
		}
		tf := filepath.Join(dir, s.ID+".yaml")
		if err := os.WriteFile(tf, s.Template, 0o644); err != nil {
			return err
		}
		pf := filepath.Join(dir, s.ID+".parameters.json")
		if err := writeParams(pf, sums[i].Parameters); err != nil {
			return err
		}
		sums[i].TemplateFile, sums[i].ParamsFile = tf, pf
	}
	return nil
}

func writeParams(path string, ps []ParamValue) error {
	type cfnParam struct {
		ParameterKey   string `json:"ParameterKey"`
		ParameterValue string `json:"ParameterValue"`
	}
	list := make([]cfnParam, 0, len(ps))
	for _, p := range ps {
		list = append(list, cfnParam{p.Key, p.Value})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ParameterKey < list[j].ParameterKey })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Placeholders shows what each deploy-time parameter will hold, with the
// account and region from cfg when it names them.
func Placeholders(cfg config.Config) DeployTimeValues {
	account, region := cfg.AccountID, cfg.Region
	if account == "" {
		account = "<account>"
	}
	if region == "" {
		region = "<region>"
	}
	ecr := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", account, region, cfg.Name)
	known := map[string]string{
		Services + "." + ParamServerImage:  ecr + "-server:<content hash> (built by mlflowctl up)",
		Services + "." + ParamGatewayImage: ecr + "-gateway:<content hash> (built by mlflowctl up)",
		API + "." + ParamAuthorizerCodeKey: "authorizer/<content hash>.zip (uploaded by mlflowctl up)",
	}
	return func(stack, param string) string {
		if v, ok := known[stack+"."+param]; ok {
			return v
		}
		return "<output of an earlier stack>"
	}
}
