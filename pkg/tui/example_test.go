package tui_test

import (
	"fmt"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
	"github.com/mlflowctl/mlflowctl/pkg/tui"
)

// The terminal view of a deployment bootstrap → {server, api} in which
// the server's database fails: the failed stack keeps its rows with the
// root cause under the failed resource; finished stacks fold to one line.
func ExampleRender() {
	t0 := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	b := tui.NewBoard()
	for _, ev := range []deploy.Event{
		{Time: at(0), Kind: deploy.KindStart, Op: deploy.OpDeploy, Stacks: []string{"bootstrap", "server", "api"}},
		{Time: at(0), Kind: deploy.KindStack, Stack: "bootstrap", StackName: "ml-bootstrap", Phase: deploy.PhaseCreating},
		{Time: at(3), Kind: deploy.KindResource, Stack: "bootstrap", LogicalID: "Assets", Label: "Assets bucket", Status: "CREATE_IN_PROGRESS"},
		{Time: at(9), Kind: deploy.KindResource, Stack: "bootstrap", LogicalID: "Assets", Label: "Assets bucket", Status: "CREATE_COMPLETE"},
		{Time: at(10), Kind: deploy.KindStack, Stack: "bootstrap", StackName: "ml-bootstrap", Phase: deploy.PhaseComplete},
		{Time: at(10), Kind: deploy.KindStack, Stack: "server", StackName: "ml-server", Phase: deploy.PhaseCreating},
		{Time: at(10), Kind: deploy.KindStack, Stack: "api", StackName: "ml-api", Phase: deploy.PhaseCreating},
		{Time: at(13), Kind: deploy.KindResource, Stack: "server", LogicalID: "Db", Label: "Aurora database", Status: "CREATE_IN_PROGRESS"},
		{Time: at(13), Kind: deploy.KindResource, Stack: "server", LogicalID: "Service", Label: "MLflow tracking service", Status: "CREATE_IN_PROGRESS"},
		{Time: at(13), Kind: deploy.KindResource, Stack: "api", LogicalID: "Api", Label: "REST API", Status: "CREATE_IN_PROGRESS"},
		{Time: at(40), Kind: deploy.KindResource, Stack: "server", LogicalID: "Db", Label: "Aurora database", Status: "CREATE_FAILED", Reason: "DBClusterQuotaExceeded: the account already has 40 DB clusters"},
		{Time: at(41), Kind: deploy.KindResource, Stack: "server", LogicalID: "Service", Label: "MLflow tracking service", Status: "CREATE_FAILED", Reason: "Resource creation cancelled"},
		{Time: at(45), Kind: deploy.KindResource, Stack: "api", LogicalID: "Api", Label: "REST API", Status: "CREATE_COMPLETE"},
		{Time: at(46), Kind: deploy.KindStack, Stack: "api", StackName: "ml-api", Phase: deploy.PhaseComplete},
		{Time: at(55), Kind: deploy.KindResource, Stack: "server", LogicalID: "Db", Label: "Aurora database", Status: "DELETE_COMPLETE"},
		{Time: at(56), Kind: deploy.KindStack, Stack: "server", StackName: "ml-server", Phase: deploy.PhaseFailed},
		{Time: at(56), Kind: deploy.KindFinish, Op: deploy.OpDeploy, Error: "stack ml-server failed"},
	} {
		b.Apply(ev)
	}
	fmt.Print(tui.Render(b, at(56), 80, false))
	// Output:
	// ✔ ml-bootstrap                         done · 1 resource    10s
	// ✘ ml-server                            failed               46s
	//   ✘ Aurora database                    create failed        42s
	//       DBClusterQuotaExceeded: the account already has 40 DB clusters
	//   ✘ MLflow tracking service            cancelled            28s
	// ✔ ml-api                               done · 1 resource    36s
	//
	// Deploy stopped: 2/3 stacks done, 1 failed · 56s
}
