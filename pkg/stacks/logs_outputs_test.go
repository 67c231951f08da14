package stacks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/logs"
)

// TestEveryLogGroupIsNamedByAnOutput: `mlflowctl logs` finds log groups
// only through stack outputs, so every log group a template creates must
// be named by exactly one output, and that output must be one `logs`
// reads (logs.Sources) or deliberately leaves out (logs.NotShown).
func TestEveryLogGroupIsNamedByAnOutput(t *testing.T) {
	known := map[string]bool{}
	for _, s := range logs.Sources {
		known[s.OutputKey] = true
	}
	for k := range logs.NotShown {
		known[k] = true
	}
	forEachTemplate(t, func(t *testing.T, _ variant, _ deploy.Stack, tpl Template) {
		for id := range resourcesOfType(tpl, "AWS::Logs::LogGroup") {
			keys := outputsReferencing(tpl, id)
			if len(keys) != 1 {
				t.Errorf("log group %s is named by outputs %v: want exactly one, so `mlflowctl logs` finds it", id, keys)
				continue
			}
			if !known[keys[0]] {
				t.Errorf("log group %s is output as %s, which pkg/logs neither reads (Sources) nor leaves out (NotShown)", id, keys[0])
			}
		}
	})
}

// TestLogsSourcesExistInTemplates: each output `logs` reads is in some
// variant's templates (a renamed output would otherwise leave a component
// silently empty), and in the default configuration server, authorizer and
// api have their groups.
func TestLogsSourcesExistInTemplates(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range variants() {
		outs := map[string]string{}
		for _, s := range render(t, v.cfg).Stacks {
			for k := range parsed(t, s).Outputs {
				seen[k] = true
				outs[k] = "x"
			}
		}
		if v.name != "default" {
			continue
		}
		_, absent := logs.Pick(outs, []logs.Component{logs.Server, logs.Authorizer, logs.API})
		if len(absent) > 0 {
			t.Errorf("default variant: no log group output for %v", absent)
		}
	}
	for _, s := range logs.Sources {
		if !seen[s.OutputKey] {
			t.Errorf("no template outputs %s (component %s)", s.OutputKey, s.Component)
		}
	}
}

// TestLogWritersUseTheTemplatesGroups: every writer logs into a group the
// template creates (with a retention), never into one AWS would create on
// first write and no output would name.
//   - ECS tasks: the awslogs driver's awslogs-group (ECS developer guide,
//     "Using the awslogs log driver").
//   - Lambda: without LoggingConfig.LogGroup a function writes to
//     /aws/lambda/<function name>, created on first invocation without a
//     retention (Lambda developer guide, "Sending Lambda function logs to
//     CloudWatch Logs", custom log groups).
//   - API Gateway: access logs go to the stage's DestinationArn; execution
//     logs go to "API-Gateway-Execution-Logs_{rest-api-id}/{stage-name}",
//     a name API Gateway picks (API Gateway developer guide,
//     "Set up CloudWatch logging for REST APIs"), so the template must
//     create exactly that name.
func TestLogWritersUseTheTemplatesGroups(t *testing.T) {
	forEachTemplate(t, func(t *testing.T, _ variant, st deploy.Stack, tpl Template) {
		groups := resourcesOfType(tpl, "AWS::Logs::LogGroup")
		for id, g := range groups {
			if g.Properties["RetentionInDays"] == nil {
				t.Errorf("log group %s has no RetentionInDays", id)
			}
		}
		// The services stack writes into the server stack's groups: a
		// parameter imported from a *LogGroupName output stands for one.
		imported := map[string]bool{}
		for _, im := range st.Imports {
			if strings.HasSuffix(im.Output, "LogGroupName") {
				imported[im.Param] = true
			}
		}
		isGroup := func(v any) bool {
			_, ok := groups[refOf(v)]
			return ok || imported[refOf(v)]
		}
		for id, r := range resourcesOfType(tpl, "AWS::ECS::TaskDefinition") {
			for _, c := range r.Properties["ContainerDefinitions"].([]any) {
				opts := dig(c, "LogConfiguration", "Options")
				if !isGroup(dig(opts, "awslogs-group")) {
					t.Errorf("task definition %s: awslogs-group %v is not a log group of this template", id, dig(opts, "awslogs-group"))
				}
			}
		}
		for id, r := range resourcesOfType(tpl, "AWS::Lambda::Function") {
			if !isGroup(dig(r.Properties, "LoggingConfig", "LogGroup")) {
				t.Errorf("function %s: LoggingConfig.LogGroup is not a log group of this template: it would log to /aws/lambda/<name>", id)
			}
		}
		for id, r := range resourcesOfType(tpl, "AWS::ApiGateway::Stage") {
			dest := dig(r.Properties, "AccessLogSetting", "DestinationArn")
			if att, _ := dig(dest, "Fn::GetAtt").([]any); len(att) != 2 || !isGroup(map[string]any{"Ref": att[0]}) {
				t.Errorf("stage %s: access logs go to %v, not a log group of this template", id, dest)
			}
			want := fmt.Sprintf("API-Gateway-Execution-Logs_${RestApi}/%v", r.Properties["StageName"])
			found := false
			for _, g := range groups {
				found = found || dig(g.Properties, "LogGroupName", "Fn::Sub") == want
			}
			if !found {
				t.Errorf("stage %s: no log group named %s for its execution logs", id, want)
			}
		}
	})
}

// outputsReferencing lists the outputs whose value is !Ref id.
func outputsReferencing(tpl Template, id string) []string {
	var keys []string
	for k, o := range tpl.Outputs {
		if refOf(o["Value"]) == id {
			keys = append(keys, k)
		}
	}
	return keys
}

func refOf(v any) string {
	s, _ := dig(v, "Ref").(string)
	return s
}

// dig walks nested maps; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
