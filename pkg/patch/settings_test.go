package patch

import (
	"os/exec"
	"strings"
	"testing"
)

func validSettings() LoginSettings {
	return LoginSettings{Region: "us-east-1", UserPoolID: "us-east-1_Abc", ClientID: "client", Domain: "auth.example.com",
		RedirectURI: "https://ui.example.com/", TokenUse: "id"}
}

func TestLoginSettingsValidate(t *testing.T) {
	bad := map[string]func(*LoginSettings){
		`"clientId" is missing`:    func(s *LoginSettings) { s.ClientID = "" },
		`"userPoolId" is missing`:  func(s *LoginSettings) { s.UserPoolID = " " },
		"must be access or id":     func(s *LoginSettings) { s.TokenUse = "refresh" },
		"redirectUri":              func(s *LoginSettings) { s.RedirectURI = "http://ui.example.com/" },
		`logoutUri "ftp://x" must`: func(s *LoginSettings) { s.LogoutURI = "ftp://x" },
	}
	for want, mutate := range bad {
		s := validSettings()
		mutate(&s)
		if _, err := s.JSON(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
}

// TestLoginSettingsAcceptedByScript feeds the Go-written file to the
// script's own checkSettings, so the two cannot drift apart.
func TestLoginSettingsAcceptedByScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	data, err := validSettings().JSON()
	if err != nil {
		t.Fatal(err)
	}
	script := `const s = require(process.argv[1]).checkSettings(JSON.parse(process.argv[2]));
process.stdout.write([s.clientId, s.domain, s.tokenUse, s.logoutUri, s.scopes.join(' ')].join('|'));`
	out, err := exec.Command(node, "-e", script, "../../templates/ui/mlflowctl-login.js", string(data)).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	if got := string(out); got != "client|https://auth.example.com|id|https://ui.example.com/|openid email profile" {
		t.Fatalf("script read %q", got)
	}
}
