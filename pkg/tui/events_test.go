package tui

import (
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

var t0 = time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

const serverErr = "stack ml-server failed (ROLLBACK_COMPLETE): Db (AWS::RDS::DBCluster): DBClusterQuotaExceeded: the account already has 40 DB clusters, the limit in us-east-1"

// threeStacks is the event stream of a deployment A → {B, C} in which B
// fails on its database while C succeeds. upTo cuts it at a moment.
func threeStacks(upTo int) []deploy.Event {
	op := deploy.OpDeploy
	ph := func(s int, id string, p deploy.Phase, reason string) deploy.Event {
		return deploy.Event{Time: at(s), Kind: deploy.KindStack, Op: op, Stack: id, StackName: "ml-" + id, Phase: p, Reason: reason}
	}
	res := func(s int, id, logical, typ, label, status, reason string) deploy.Event {
		return deploy.Event{Time: at(s), Kind: deploy.KindResource, Op: op, Stack: id, StackName: "ml-" + id,
			LogicalID: logical, ResourceType: typ, Label: label, Status: status, Reason: reason}
	}
	self := func(s int, id, status, reason string) deploy.Event {
		e := res(s, id, "ml-"+id, "AWS::CloudFormation::Stack", "ml-"+id, status, reason)
		e.IsStack = true
		return e
	}
	all := []deploy.Event{
		{Time: at(0), Kind: deploy.KindStart, Op: op, Stacks: []string{"bootstrap", "server", "api"}},
		ph(0, "bootstrap", deploy.PhaseWaiting, ""), ph(0, "server", deploy.PhaseWaiting, ""), ph(0, "api", deploy.PhaseWaiting, ""),
		ph(0, "bootstrap", deploy.PhasePreparing, ""),
		ph(2, "bootstrap", deploy.PhaseCreating, ""),
		self(2, "bootstrap", "CREATE_IN_PROGRESS", "User Initiated"),
		res(3, "bootstrap", "Assets", "AWS::S3::Bucket", "Assets bucket", "CREATE_IN_PROGRESS", ""),
		res(3, "bootstrap", "Repo", "AWS::ECR::Repository", "Server image repository", "CREATE_IN_PROGRESS", ""),
		res(6, "bootstrap", "Repo", "AWS::ECR::Repository", "Server image repository", "CREATE_COMPLETE", ""),
		res(9, "bootstrap", "Assets", "AWS::S3::Bucket", "Assets bucket", "CREATE_COMPLETE", ""),
		self(10, "bootstrap", "CREATE_COMPLETE", ""),
		ph(10, "bootstrap", deploy.PhaseComplete, ""),
		ph(10, "server", deploy.PhasePreparing, ""), ph(10, "api", deploy.PhasePreparing, ""),
		ph(12, "server", deploy.PhaseCreating, ""), ph(12, "api", deploy.PhaseCreating, ""),
		res(13, "server", "Db", "AWS::RDS::DBCluster", "Aurora database", "CREATE_IN_PROGRESS", ""),
		res(13, "server", "Service", "AWS::ECS::Service", "MLflow tracking service", "CREATE_IN_PROGRESS", ""),
		res(13, "api", "Api", "AWS::ApiGateway::RestApi", "REST API", "CREATE_IN_PROGRESS", ""),
		res(20, "api", "Api", "AWS::ApiGateway::RestApi", "REST API", "CREATE_COMPLETE", ""),
		res(20, "api", "Stage", "AWS::ApiGateway::Stage", "Stage", "CREATE_IN_PROGRESS", ""),
		res(25, "api", "Stage", "AWS::ApiGateway::Stage", "Stage", "CREATE_COMPLETE", ""),
		ph(26, "api", deploy.PhaseComplete, ""),
		res(40, "server", "Db", "AWS::RDS::DBCluster", "Aurora database", "CREATE_FAILED", "DBClusterQuotaExceeded: the account already has 40 DB clusters, the limit in us-east-1"),
		res(41, "server", "Service", "AWS::ECS::Service", "MLflow tracking service", "CREATE_FAILED", "Resource creation cancelled"),
		self(41, "server", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Db, Service]."),
		res(50, "server", "Service", "AWS::ECS::Service", "MLflow tracking service", "DELETE_COMPLETE", ""),
		res(55, "server", "Db", "AWS::RDS::DBCluster", "Aurora database", "DELETE_COMPLETE", ""),
		self(56, "server", "ROLLBACK_COMPLETE", ""),
		ph(56, "server", deploy.PhaseFailed, serverErr),
		{Time: at(56), Kind: deploy.KindFinish, Op: op, Error: serverErr},
	}
	var out []deploy.Event
	for _, e := range all {
		if !e.Time.After(at(upTo)) {
			out = append(out, e)
		}
	}
	return out
}
