package patch

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// LoginSettingsFile is the file the login script reads its settings from;
// deploy it next to the built UI, where public/ files land (served as
// static-files/mlflowctl-auth.json).
const LoginSettingsFile = "mlflowctl-auth.json"

// LoginCookie is the cookie the login script sets ("Bearer <token>",
// URL-encoded); the MLflow UI turns it into an Authorization header and the
// authorizer also reads it (downloads, images, Web Workers).
const LoginCookie = "mlflow-request-header-Authorization"

// LoginSettings is the content of LoginSettingsFile (templates/ui/README.md).
type LoginSettings struct {
	Region      string   `json:"region"`
	UserPoolID  string   `json:"userPoolId"`
	ClientID    string   `json:"clientId"`
	Domain      string   `json:"domain"`      // managed-login domain, with or without https://
	RedirectURI string   `json:"redirectUri"` // the UI's root, an allowed callback URL
	LogoutURI   string   `json:"logoutUri,omitempty"`
	TokenUse    string   `json:"tokenUse"` // "access" or "id", as authorizer.tokenUse
	Scopes      []string `json:"scopes,omitempty"`
}

// Validate checks what the script checks, so a bad file is caught before
// it is deployed.
func (s LoginSettings) Validate() error {
	required := map[string]string{"region": s.Region, "userPoolId": s.UserPoolID, "clientId": s.ClientID, "domain": s.Domain, "redirectUri": s.RedirectURI}
	for _, k := range []string{"region", "userPoolId", "clientId", "domain", "redirectUri"} {
		if strings.TrimSpace(required[k]) == "" {
			return fmt.Errorf("%s: %q is missing", LoginSettingsFile, k)
		}
	}
	if s.TokenUse != "access" && s.TokenUse != "id" {
		return fmt.Errorf("%s: tokenUse %q must be access or id", LoginSettingsFile, s.TokenUse)
	}
	for k, v := range map[string]string{"redirectUri": s.RedirectURI, "logoutUri": s.LogoutURI} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1") || u.Host == "" {
			return fmt.Errorf("%s: %s %q must be an https:// URL (the token cookie is Secure)", LoginSettingsFile, k, v)
		}
	}
	return nil
}

// JSON is the file's content.
func (s LoginSettings) JSON() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return json.MarshalIndent(s, "", "  ")
}
