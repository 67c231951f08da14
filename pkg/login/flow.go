package login

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CallbackPorts are the loopback ports registered as callback URLs of the
// deployment's app client (templates/cfn/api.yaml). Cognito compares
// redirect_uri with the registered URLs exactly, port included, so the
// port cannot be chosen at random as RFC 8252 §7.3 suggests; three fixed
// ports leave room when one is taken.
// https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-client-apps.html
var CallbackPorts = []int{38917, 38918, 38919}

// CallbackPath is the path of the loopback redirect.
const CallbackPath = "/callback"

// RedirectURI is the callback URL for a loopback port. It names
// "localhost": Cognito accepts http:// only for localhost.
func RedirectURI(port int) string {
	return "http://localhost:" + strconv.Itoa(port) + CallbackPath
}

// Scopes requested at sign-in.
var Scopes = []string{"openid", "email", "profile"}

// Tokens are what Cognito's token endpoint returns.
type Tokens struct {
	AccessToken  string    `json:"accessToken"`
	IDToken      string    `json:"idToken"`
	RefreshToken string    `json:"refreshToken"`
	Expiry       time.Time `json:"expiry"`
}

// Client talks to one Cognito user pool domain for one app client.
type Client struct {
	// Domain is the managed-login base URL, e.g.
	// https://mlflow-mlflow-123456789012.auth.eu-west-1.amazoncognito.com
	Domain   string
	ClientID string
	HTTP     *http.Client
	Now      func() time.Time
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) endpoint(path string) string {
	return strings.TrimSuffix(c.Domain, "/") + path
}

// request is one sign-in attempt: its PKCE verifier and state.
type request struct {
	verifier, state, redirectURI string
}

func newRequest(redirectURI string) (request, error) {
	v, err := randomString(32)
	if err != nil {
		return request{}, err
	}
	s, err := randomString(16)
	if err != nil {
		return request{}, err
	}
	return request{verifier: v, state: s, redirectURI: redirectURI}, nil
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Challenge is the PKCE S256 code challenge of a verifier (RFC 7636 §4.2).
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthorizeURL is the managed-login address the person opens.
func (c *Client) authorizeURL(r request) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ClientID},
		"redirect_uri":          {r.redirectURI},
		"scope":                 {strings.Join(Scopes, " ")},
		"state":                 {r.state},
		"code_challenge":        {Challenge(r.verifier)},
		"code_challenge_method": {"S256"},
	}
	return c.endpoint("/oauth2/authorize") + "?" + q.Encode()
}

// ErrStateMismatch is a redirect whose state is not the one sent: it may
// come from another sign-in (login CSRF), so its code is never used.
var ErrStateMismatch = errors.New("the sign-in answer's state does not match this login: refused (run mlflowctl login again)")

// callback checks a redirect's query and returns its code.
func (r request) callback(q url.Values) (string, error) {
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("sign-in failed: %s %s", e, q.Get("error_description"))
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(r.state)) != 1 {
		return "", ErrStateMismatch
	}
	code := q.Get("code")
	if code == "" {
		return "", errors.New("the sign-in answer has no code")
	}
	return code, nil
}

// LoginLoopback signs in with a browser: it listens on the first free
// port of ports (127.0.0.1), has open show the managed login, and waits for
// Cognito's redirect to http://localhost:<port>/callback.
func (c *Client) LoginLoopback(ctx context.Context, ports []int, open func(url string) error) (Tokens, error) {
	ln, port, err := listen(ports)
	if err != nil {
		return Tokens{}, err
	}
	defer func() { _ = ln.Close() }()
	req, err := newRequest(RedirectURI(port))
	if err != nil {
		return Tokens{}, err
	}
	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	mux := http.NewServeMux()
	mux.HandleFunc(CallbackPath, func(w http.ResponseWriter, hr *http.Request) {
		code, err := req.callback(hr.URL.Query())
		status, msg := http.StatusOK, "Signed in to MLflow. You can close this tab and return to the terminal."
		if err != nil {
			status, msg = http.StatusBadRequest, err.Error()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<!doctype html><title>mlflowctl login</title><p>%s</p>\n", html.EscapeString(msg))
		select {
		case done <- result{code, err}:
		default: // a second redirect after the first: ignored
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	// Browsers may resolve localhost to ::1 first: listen there too when
	// the machine has IPv6 loopback (and the port is free on it).
	if ln6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port))); err == nil {
		go func() { _ = srv.Serve(ln6) }()
	}
	defer func() { _ = srv.Close() }()
	if err := open(c.authorizeURL(req)); err != nil {
		return Tokens{}, fmt.Errorf("open the browser: %w (use --no-browser)", err)
	}
	select {
	case <-ctx.Done():
		return Tokens{}, ctx.Err()
	case r := <-done:
		if r.err != nil {
			return Tokens{}, r.err
		}
		return c.exchange(ctx, req, r.code)
	}
}

func listen(ports []int) (net.Listener, int, error) {
	var errs []error
	for _, p := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			return ln, p, nil
		}
		errs = append(errs, err)
	}
	return nil, 0, fmt.Errorf("no loopback port free for the sign-in redirect (%v): free one or use --no-browser: %w", ports, errors.Join(errs...))
}

// LoginManual signs in without a browser on this machine: it writes the
// managed-login URL to w and reads from in the address the browser ended on
// (http://localhost:<port>/callback?code=...&state=..., which shows an
// error page when nothing listens there) or the bare code.
func (c *Client) LoginManual(ctx context.Context, port int, w io.Writer, in io.Reader) (Tokens, error) {
	req, err := newRequest(RedirectURI(port))
	if err != nil {
		return Tokens{}, err
	}
	if _, err := fmt.Fprintf(w, "Open this address in a browser and sign in:\n\n  %s\n\n"+
		"The browser then goes to %s...; that page may not load. Paste its full address here (or just the code= value):\n",
		c.authorizeURL(req), req.redirectURI); err != nil {
		return Tokens{}, err
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		if err != nil {
			return Tokens{}, fmt.Errorf("read the code: %w", err)
		}
		return Tokens{}, errors.New("no code given")
	}
	code := line
	if strings.Contains(line, "?") || strings.Contains(line, "code=") {
		raw := line
		if i := strings.Index(raw, "?"); i >= 0 {
			raw = raw[i+1:]
		}
		q, perr := url.ParseQuery(raw)
		if perr != nil {
			return Tokens{}, fmt.Errorf("read the pasted address: %w", perr)
		}
		if code, err = req.callback(q); err != nil {
			return Tokens{}, err
		}
	}
	// A bare code has no state to check; PKCE still binds it to this
	// login, because only this process knows the verifier.
	return c.exchange(ctx, req, code)
}

func (c *Client) exchange(ctx context.Context, r request, code string) (Tokens, error) {
	return c.token(ctx, url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {c.ClientID},
		"code":          {code},
		"redirect_uri":  {r.redirectURI},
		"code_verifier": {r.verifier},
	}, "")
}

// ErrRefreshRefused means the refresh token no longer works (expired,
// revoked, user disabled): the person has to sign in again.
var ErrRefreshRefused = errors.New("the refresh token was refused")

// Refresh renews the access and ID tokens. Cognito does not return a new
// refresh token (unless rotation is on), so the old one is kept.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	return c.token(ctx, url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {c.ClientID},
		"refresh_token": {refreshToken},
	}, refreshToken)
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	Error        string `json:"error"`
}

func (c *Client) token(ctx context.Context, form url.Values, oldRefresh string) (Tokens, error) {
	body, status, err := c.post(ctx, "/oauth2/token", form)
	if err != nil {
		return Tokens{}, err
	}
	var tr tokenResponse
	_ = json.Unmarshal(body, &tr)
	if status != http.StatusOK {
		if tr.Error == "invalid_grant" && oldRefresh != "" {
			return Tokens{}, ErrRefreshRefused
		}
		// The error code only: Cognito's answer never holds a secret, but
		// a proxy's might.
		return Tokens{}, fmt.Errorf("cognito token endpoint: HTTP %d %s", status, tr.Error)
	}
	if tr.AccessToken == "" || tr.IDToken == "" {
		return Tokens{}, errors.New("cognito token endpoint: the answer has no access or ID token")
	}
	t := Tokens{AccessToken: tr.AccessToken, IDToken: tr.IDToken, RefreshToken: tr.RefreshToken,
		Expiry: c.now().Add(time.Duration(tr.ExpiresIn) * time.Second)}
	if t.RefreshToken == "" {
		t.RefreshToken = oldRefresh
	}
	return t, nil
}

// Revoke revokes a refresh token and the access tokens issued with it
// (the app client has EnableTokenRevocation).
// https://docs.aws.amazon.com/cognito/latest/developerguide/revocation-endpoint.html
func (c *Client) Revoke(ctx context.Context, refreshToken string) error {
	body, status, err := c.post(ctx, "/oauth2/revoke", url.Values{"token": {refreshToken}, "client_id": {c.ClientID}})
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("cognito revocation endpoint: HTTP %d %s", status, e.Error)
	}
	return nil
}

func (c *Client) post(ctx context.Context, path string, form url.Values) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(path), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("reach cognito at %s: %w", c.Domain, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("read cognito's answer: %w", err)
	}
	return body, resp.StatusCode, nil
}
