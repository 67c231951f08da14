package stacks

import (
	"fmt"
	"strings"
	"testing"
)

// The server's ECS service has no DesiredCount: with one, every stack
// update resets the count autoscaling set to the template's value
// (aws/containers-roadmap#493; CDK removed its default for this reason,
// aws/aws-cdk#13130). Without it CloudFormation creates the service with 1
// task and leaves the count alone on updates; the scalable target's
// MinCapacity holds the configured count.
func TestStackUpdatesLeaveTheAutoscaledCount(t *testing.T) {
	for _, v := range variants() {
		tpl := tracking(t, render(t, v.cfg))
		for id, r := range tpl.Resources {
			if r.Type == "AWS::ECS::Service" {
				if _, ok := r.Properties["DesiredCount"]; ok {
					t.Errorf("%s: %s sets DesiredCount", v.name, id)
				}
			}
		}
		target := tpl.Resources["ServerScalableTarget"].Properties
		if fmt.Sprint(target["MinCapacity"]) != fmt.Sprint(v.cfg.Server.DesiredCount) {
			t.Errorf("%s: scalable target MinCapacity %v, want server.desiredCount %d", v.name, target["MinCapacity"], v.cfg.Server.DesiredCount)
		}
	}
}

// The server reads the RDS-managed secret per connection with its task
// role (the secret rotates), and on MLflow 3.x with the AI gateway gets a
// generated passphrase for the gateway's stored secrets, by reference.
func TestServerTaskReadsRotatingSecretAndGatewayPassphrase(t *testing.T) {
	for _, v := range variants() {
		tpl := tracking(t, render(t, v.cfg))
		c := tpl.Resources["ServerTaskDefinition"].Properties["ContainerDefinitions"].([]any)[0].(map[string]any)
		if !strings.Contains(fmt.Sprint(c["Environment"]), "Name:DB_CREDENTIALS_ARN Value:map[Fn::GetAtt:[DbCluster MasterUserSecret.SecretArn]]") {
			t.Errorf("%s: no DB_CREDENTIALS_ARN: %v", v.name, c["Environment"])
		}
		if !strings.Contains(fmt.Sprint(tpl.Resources["ServerTaskRole"].Properties["Policies"]), "secretsmanager:GetSecretValue") {
			t.Errorf("%s: the server task role cannot read the database secret", v.name)
		}
		builtin := v.cfg.Gateway.Enabled && !v.cfg.UsesSeparateGateway()
		_, secret := tpl.Resources["GatewayPassphrase"]
		ref := strings.Contains(fmt.Sprint(c["Secrets"]), "Name:MLFLOW_CRYPTO_KEK_PASSPHRASE ValueFrom:map[Ref:GatewayPassphrase]")
		readable := strings.Contains(fmt.Sprint(tpl.Resources["ExecutionRole"].Properties["Policies"]), "map[Ref:GatewayPassphrase]")
		if secret != builtin || ref != builtin || readable != builtin {
			t.Errorf("%s: built-in gateway %v: passphrase secret %v, injected %v, readable by the execution role %v", v.name, builtin, secret, ref, readable)
		}
	}
}
