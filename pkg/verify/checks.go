package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// checkUI: the site serves index.html with the login script and
// mlflowctl-auth.json for this deployment, and the login link it builds
// (authorization code + PKCE S256) is accepted by the Cognito domain.
func (r *runner) checkUI(ctx context.Context) {
	if r.t.UIURL == "" {
		r.skip(HopUI, "UI site", "the deployment has no UI (ui.enabled: false)")
		return
	}
	r.step(HopUI, "UI serves index.html with the login script", func() (string, error) {
		res, err := r.do(ctx, http.MethodGet, r.t.UIURL, nil, auth{})
		if err != nil {
			return "", err
		}
		if res.status != 200 || !strings.Contains(string(res.body), "mlflowctl-login.js") {
			return "", fmt.Errorf("GET %s: HTTP %d, want 200 and a page loading mlflowctl-login.js", r.t.UIURL, res.status)
		}
		return fmt.Sprintf("%d bytes", len(res.body)), nil
	})
	var settings struct{ ClientID, Domain, RedirectURI string }
	r.step(HopUI, "UI serves mlflowctl-auth.json for this deployment", func() (string, error) {
		res, err := r.do(ctx, http.MethodGet, join(r.t.UIURL, "mlflowctl-auth.json"), nil, auth{})
		if err != nil {
			return "", err
		}
		if res.status != 200 {
			return "", fmt.Errorf("HTTP %d", res.status)
		}
		if err := json.Unmarshal(res.body, &settings); err != nil {
			return "", fmt.Errorf("not JSON: %w", err)
		}
		if settings.ClientID != r.t.ClientID || strings.TrimRight(settings.Domain, "/") != strings.TrimRight(r.t.CognitoDomain, "/") {
			return "", fmt.Errorf("client %q and domain %q, want %q and %q", settings.ClientID, settings.Domain, r.t.ClientID, r.t.CognitoDomain)
		}
		return "client " + settings.ClientID, nil
	})
	r.step(HopUI, "login link reaches Cognito (code + PKCE)", func() (string, error) {
		return r.checkLogin(ctx, settings.RedirectURI)
	})
}

// checkLogin asks the managed login for the authorize URL the UI's script
// builds. Cognito redirects a valid request to its /login page and an
// invalid one (unknown client, redirect_uri not registered) to /error.
func (r *runner) checkLogin(ctx context.Context, redirect string) (string, error) {
	q := url.Values{
		"response_type": {"code"}, "client_id": {r.t.ClientID}, "redirect_uri": {orDefault(redirect, r.t.UIURL)},
		"scope": {"openid email profile"}, "state": {randomHex(8)},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
	}
	u := join(r.t.CognitoDomain, "oauth2/authorize") + "?" + q.Encode()
	client := *r.d.HTTP
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	_ = res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode == 200 || (res.StatusCode/100 == 3 && strings.Contains(loc, "/login")) {
		return "→ " + orDefault(strings.SplitN(loc, "?", 2)[0], "login page"), nil
	}
	return "", fmt.Errorf("GET %s/oauth2/authorize: HTTP %d to %q, want the login page", r.t.CognitoDomain, res.StatusCode, loc)
}

// A probe is a request of one permission class through the UI path.
type probe struct {
	class  string
	method string
	path   string
	body   func() []byte
	// undo removes what the probe made, given its answer.
	undo func(answer []byte) (method, path string, body []byte)
}

var (
	readProbe = probe{class: "read", method: http.MethodGet, path: "/ajax-api/2.0/mlflow/experiments/search?max_results=1"}
	// writeProbe makes a run in the Default experiment (no experiment is
	// created, so none is left), then deletes it.
	writeProbe = probe{class: "write", method: http.MethodPost, path: "/ajax-api/2.0/mlflow/runs/create",
		body: func() []byte { return []byte(`{"experiment_id":"0","run_name":"` + UserPrefix + randomHex(4) + `"}`) },
		undo: func(answer []byte) (string, string, []byte) {
			var out struct {
				Run struct {
					Info struct {
						RunID string `json:"run_id"`
					}
				}
			}
			_ = json.Unmarshal(answer, &out)
			return http.MethodPost, "/ajax-api/2.0/mlflow/runs/delete", []byte(`{"run_id":"` + out.Run.Info.RunID + `"}`)
		}}
)

// registryProbeFor registers a model with a fresh name, then deletes it
// (registered models are deleted for good, unlike runs).
func registryProbeFor() probe {
	name := UserPrefix + randomHex(4)
	return probe{class: "registry", method: http.MethodPost, path: "/ajax-api/2.0/mlflow/registered-models/create",
		body: func() []byte { return []byte(`{"name":"` + name + `"}`) },
		undo: func([]byte) (string, string, []byte) {
			return http.MethodDelete, "/ajax-api/2.0/mlflow/registered-models/delete", []byte(`{"name":"` + name + `"}`)
		}}
}

// allowed is what the permission matrix says for group on p: the same
// matrix the authorizer's policy is generated from.
func (r *runner) allowed(group string, p probe) bool {
	path, _, _ := strings.Cut(p.path, "?")
	d, err := authz.Check(r.t.Groups, r.t.Guards, []string{group}, p.method, path)
	return err == nil && d.Allow
}

func (r *runner) checkNoToken(ctx context.Context) {
	r.step(HopAuthorizer, "no token → 401", func() (string, error) {
		res, err := r.do(ctx, readProbe.method, r.uiPath(readProbe.path), nil, auth{})
		if err != nil {
			return "", err
		}
		if res.status != 401 {
			return "", statusError(res, 401, "GET without a token", HopAuthorizer)
		}
		return "401", nil
	})
}

// uiPath is a path on the UI's origin (Amplify rewrites it to the API).
func (r *runner) uiPath(p string) string {
	if r.t.UIURL != "" {
		return join(r.t.UIURL, p)
	}
	return join(r.t.APIURL, p)
}

func (r *runner) checkGroup(ctx context.Context, g config.Group) {
	token := r.tokens[g.Name]
	if token == "" {
		r.skip(HopAuthorizer, g.Name+": rights", "no token")
		return
	}
	r.step(HopAuthorizer, g.Name+": read allowed", func() (string, error) {
		res, err := r.send(ctx, readProbe, token)
		if err != nil {
			return "", err
		}
		if res.status != 200 {
			return "", statusError(res, 200, "read "+readProbe.path, HopAuthorizer)
		}
		return "200", nil
	})
	probes := []probe{writeProbe, registryProbeFor()}
	if p, ok := r.firstProbe(g.Name, probes, false); ok {
		r.step(HopAuthorizer, g.Name+": "+p.class+" beyond its rights → 403", func() (string, error) {
			res, err := r.send(ctx, p, token)
			if err != nil {
				return "", err
			}
			if res.status/100 == 2 {
				r.undoProbe(p, res.body, token)
				return "", atHop(HopAuthorizer, fmt.Errorf("%s %s was ALLOWED (HTTP %d): the authorizer lets %s write", p.method, p.path, res.status, g.Name))
			}
			if res.status != 403 {
				return "", statusError(res, 403, p.method+" "+p.path, HopAuthorizer)
			}
			return "403", nil
		})
	} else {
		r.skip(HopAuthorizer, g.Name+": write beyond its rights → 403", "the group has every class")
	}
	if p, ok := r.firstProbe(g.Name, probes, true); ok {
		r.step(HopAuthorizer, g.Name+": "+p.class+" within its rights allowed", func() (string, error) {
			res, err := r.send(ctx, p, token)
			if err != nil {
				return "", err
			}
			if res.status != 200 {
				return "", statusError(res, 200, p.method+" "+p.path, HopAuthorizer)
			}
			r.undoProbe(p, res.body, token)
			return "200, undone", nil
		})
	} else {
		r.skip(HopAuthorizer, g.Name+": write within its rights", "the group may not write")
	}
}

func (r *runner) firstProbe(group string, probes []probe, allowed bool) (probe, bool) {
	for _, p := range probes {
		if r.allowed(group, p) == allowed {
			return p, true
		}
	}
	return probe{}, false
}

func (r *runner) send(ctx context.Context, p probe, token string) (response, error) {
	var body []byte
	if p.body != nil {
		body = p.body()
	}
	return r.do(ctx, p.method, r.uiPath(p.path), body, auth{token: token})
}

// undoProbe queues the removal of what a probe made, with a token allowed
// to remove it.
func (r *runner) undoProbe(p probe, answer []byte, token string) {
	if p.undo == nil {
		return
	}
	method, path, body := p.undo(answer)
	r.undo = append(r.undo, undoStep{what: "remove " + p.class + " probe (" + path + ")", fn: func(ctx context.Context) error {
		res, err := r.do(ctx, method, r.uiPath(path), body, auth{token: r.tokenFor(method, path, token)})
		if err != nil {
			return err
		}
		if res.status != 200 {
			return fmt.Errorf("%s %s: HTTP %d%s", method, path, res.status, snippet(res))
		}
		return nil
	}})
}

// tokenFor prefers a group the matrix allows to make the request.
func (r *runner) tokenFor(method, path, fallback string) string {
	for _, g := range r.t.Groups {
		if d, err := authz.Check(r.t.Groups, r.t.Guards, []string{g.Name}, method, path); err == nil && d.Allow && r.tokens[g.Name] != "" {
			return r.tokens[g.Name]
		}
	}
	return fallback
}

// checkIAM: the SDK path (AWS_IAM) with the caller's credentials.
func (r *runner) checkIAM(ctx context.Context) {
	if r.d.Credentials == nil {
		r.skip(HopIAM, "IAM path", "no AWS credentials to sign with")
		return
	}
	for _, c := range []struct{ check, path string }{
		{"SigV4 GET /version", "version"},
		{"SigV4 read (experiments/search)", "api/2.0/mlflow/experiments/search?max_results=1"},
	} {
		r.step(HopIAM, c.check, func() (string, error) {
			res, err := r.do(ctx, http.MethodGet, join(r.t.APIURL, c.path), nil, auth{sign: true})
			if err != nil {
				return "", err
			}
			if res.status != 200 {
				return "", statusError(res, 200, c.check, HopIAM)
			}
			return "200" + snippet(res), nil
		})
	}
	r.step(HopIAM, "unsigned request → 403", func() (string, error) {
		res, err := r.do(ctx, http.MethodGet, join(r.t.APIURL, "api/2.0/mlflow/experiments/search?max_results=1"), nil, auth{})
		if err != nil {
			return "", err
		}
		if res.status != 403 {
			return "", atHop(HopIAM, fmt.Errorf("unsigned GET: HTTP %d, want 403: the IAM path accepts unsigned requests", res.status))
		}
		return "403", nil
	})
}
