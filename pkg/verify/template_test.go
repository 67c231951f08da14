package verify

import (
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// verify signs its temporary users in with AdminInitiateAuth
// (ADMIN_USER_PASSWORD_AUTH) on the UI's app client; Cognito refuses the
// flow unless the client lists it ("AdminInitiateAuth", Cognito API
// Reference: "Auth flow not enabled for this client"). moto does not
// enforce ExplicitAuthFlows, so the rendered template is checked here.
func TestUIAppClientEnablesTheFlowVerifyUses(t *testing.T) {
	cfg := config.Defaults()
	cfg.Region, cfg.AccountID = "us-east-1", "123456789012"
	d, err := stacks.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Stacks {
		if s.ID != stacks.API {
			continue
		}
		text := string(s.Template)
		i := strings.Index(text, "ClientName: mlflow-ui")
		if i < 0 {
			t.Fatal("no UI app client in the api stack")
		}
		if !strings.Contains(text[i:], "ALLOW_ADMIN_USER_PASSWORD_AUTH") {
			t.Error("the UI app client does not allow ADMIN_USER_PASSWORD_AUTH: verify cannot sign in its users")
		}
		return
	}
	t.Fatal("no api stack")
}
