package login_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/mlflowctl/mlflowctl/pkg/login"
	"github.com/mlflowctl/mlflowctl/pkg/login/cognitotest"
	"github.com/mlflowctl/mlflowctl/pkg/login/keychaintest"
)

const clientID = "cli-client"

// testPorts are loopback ports for these tests; the stand-in registers
// them as callback URLs exactly, as the app client does with
// login.CallbackPorts.
var testPorts = []int{48917, 48918}

func newCognito(t *testing.T) *cognitotest.Server {
	t.Helper()
	var cbs []string
	for _, p := range testPorts {
		cbs = append(cbs, login.RedirectURI(p))
	}
	c := cognitotest.New("us-east-1_Test123", clientID, cbs)
	t.Cleanup(c.Close)
	c.AddUser("ana@example.com", "admins")
	c.SignInAs("ana@example.com")
	return c
}

// browser stands in for the person's browser: it follows the managed
// login's redirect to the loopback server, optionally changing the URL on
// the way (tamper) as an attacker's redirect would.
func browser(t *testing.T, tamper func(*url.URL)) (func(string) error, chan int) {
	got := make(chan int, 1)
	hc := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if tamper != nil && req.URL.Host != via[0].URL.Host {
			tamper(req.URL)
		}
		return nil
	}}
	return func(u string) error {
		go func() {
			resp, err := hc.Get(u)
			if err != nil {
				t.Errorf("browser: %v", err)
				got <- 0
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			got <- resp.StatusCode
		}()
		return nil
	}, got
}

func TestLoginLoopbackPKCE(t *testing.T) {
	c := newCognito(t)
	open, resp := browser(t, nil)
	var seen string
	cl := &login.Client{Domain: c.URL, ClientID: clientID}
	tok, err := cl.LoginLoopback(context.Background(), testPorts, func(u string) error {
		seen = u
		return open(u)
	})
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, seen)
	if q.Get("code_challenge_method") != "S256" || q.Get("state") == "" || q.Get("redirect_uri") != login.RedirectURI(testPorts[0]) {
		t.Errorf("authorize URL %s lacks PKCE S256, state or the loopback redirect", seen)
	}
	if code := <-resp; code != http.StatusOK {
		t.Errorf("the browser's page after sign-in: HTTP %d", code)
	}
	if tok.AccessToken == "" || tok.IDToken == "" || tok.RefreshToken == "" || !tok.Expiry.After(time.Now()) {
		t.Fatalf("tokens %+v", tok)
	}
	if id := login.IdentityOf(tok.IDToken); id.Username != "ana@example.com" || len(id.Groups) != 1 || id.Groups[0] != "admins" {
		t.Errorf("identity %+v", id)
	}
}

func TestLoginRefusesWrongState(t *testing.T) {
	c := newCognito(t)
	open, resp := browser(t, func(u *url.URL) {
		q := u.Query()
		q.Set("state", "someone-elses")
		u.RawQuery = q.Encode()
	})
	cl := &login.Client{Domain: c.URL, ClientID: clientID}
	_, err := cl.LoginLoopback(context.Background(), testPorts, open)
	if !errors.Is(err, login.ErrStateMismatch) {
		t.Fatalf("err = %v, want a state mismatch", err)
	}
	if code := <-resp; code != http.StatusBadRequest {
		t.Errorf("the browser should see 400, got %d", code)
	}
	if c.Requests["/oauth2/token"] != 0 {
		t.Error("the code of a wrong-state redirect was exchanged")
	}
}

func TestLoginPKCEVerifierChecked(t *testing.T) {
	// The stand-in refuses a code redeemed with another verifier; a code
	// caught on the way (from the browser history) is useless alone.
	c := newCognito(t)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := c.URL + "/oauth2/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {login.RedirectURI(testPorts[0])},
		"code_challenge": {login.Challenge("the-real-verifier-000000000000000000000000")}, "code_challenge_method": {"S256"},
	}.Encode()
	r, err := hc.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Body.Close()
	code := mustQuery(t, r.Header.Get("Location")).Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "code": {code},
		"redirect_uri": {login.RedirectURI(testPorts[0])}, "code_verifier": {"an-attackers-guess-00000000000000000000000"}}
	tr, err := http.PostForm(c.URL+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	_ = tr.Body.Close()
	if tr.StatusCode != http.StatusBadRequest {
		t.Fatalf("wrong verifier: HTTP %d, want 400", tr.StatusCode)
	}
}

func TestLoginManualPastedAddress(t *testing.T) {
	c := newCognito(t)
	cl := &login.Client{Domain: c.URL, ClientID: clientID}
	pr, pw := io.Pipe()
	out := &lineWriter{lines: make(chan string, 100)}
	type res struct {
		tok login.Tokens
		err error
	}
	done := make(chan res, 1)
	go func() {
		tok, err := cl.LoginManual(context.Background(), testPorts[0], out, pr)
		done <- res{tok, err}
	}()
	// The person opens the printed URL elsewhere; nothing listens on the
	// loopback port, so they copy the address the browser ended on.
	authURL := out.find(t, "/oauth2/authorize?")
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Body.Close()
	if _, err := io.WriteString(pw, r.Header.Get("Location")+"\n"); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || got.tok.AccessToken == "" {
		t.Fatalf("manual login: %v", got.err)
	}
}

func TestRefreshAndLogout(t *testing.T) {
	c := newCognito(t)
	st := login.Store{Dir: t.TempDir(), Keychain: keychaintest.New()}
	now := time.Now()
	clock := func() time.Time { return now }
	cl := &login.Client{Domain: c.URL, ClientID: clientID, Now: clock}
	open, _ := browser(t, nil)
	tok, err := cl.LoginLoopback(context.Background(), testPorts, open)
	if err != nil {
		t.Fatal(err)
	}
	where, err := st.Save(login.Session{Deployment: "mlflow", AuthDomain: c.URL, ClientID: clientID, TokenUse: "access", Tokens: tok})
	if err != nil || where != login.InKeychain {
		t.Fatalf("save: %q %v", where, err)
	}
	// With a keychain the file holds only the public fields.
	raw, err := os.ReadFile(filepath.Join(st.Dir, "mlflow.json"))
	if err != nil || strings.Contains(string(raw), tok.RefreshToken) || strings.Contains(string(raw), tok.AccessToken) {
		t.Fatalf("the session file holds a token (or is missing: %v)", err)
	}
	// Fresh: no refresh.
	s, err := login.Valid(context.Background(), st, "mlflow", nil, clock)
	if err != nil || s.AccessToken != tok.AccessToken || c.Requests["/oauth2/token"] != 1 {
		t.Fatalf("fresh token: %v, token calls %d", err, c.Requests["/oauth2/token"])
	}
	// An hour later the token has expired: renewed, and kept.
	now = now.Add(time.Hour)
	s, err = login.Valid(context.Background(), st, "mlflow", nil, clock)
	if err != nil || c.Requests["/oauth2/token"] != 2 || s.RefreshToken != tok.RefreshToken || !s.Expiry.After(now) {
		t.Fatalf("renewal: %v, token calls %d", err, c.Requests["/oauth2/token"])
	}
	kept, _, _ := st.Load("mlflow")
	if !kept.Expiry.Equal(s.Expiry) {
		t.Error("the renewed token was not kept")
	}
	// Logout: revoke, forget; afterwards nothing works without login.
	if err := s.Client(nil, clock).Revoke(context.Background(), s.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete("mlflow"); err != nil {
		t.Fatal(err)
	}
	if len(c.Revoked) != 1 || c.Revoked[0] != tok.RefreshToken {
		t.Errorf("revoked %v", c.Revoked)
	}
	if _, err := login.Valid(context.Background(), st, "mlflow", nil, clock); !errors.Is(err, login.ErrNotLoggedIn) {
		t.Errorf("after logout: %v, want not signed in", err)
	}
}

func TestRevokedRefreshMeansLoginAgain(t *testing.T) {
	c := newCognito(t)
	st := login.Store{Dir: t.TempDir(), Keychain: keychaintest.New()}
	sess := login.Session{Deployment: "mlflow", AuthDomain: c.URL, ClientID: clientID,
		Tokens: login.Tokens{AccessToken: "old", IDToken: "old", RefreshToken: "revoked-elsewhere", Expiry: time.Now().Add(-time.Minute)}}
	if _, err := st.Save(sess); err != nil {
		t.Fatal(err)
	}
	_, err := login.Valid(context.Background(), st, "mlflow", nil, nil)
	if !errors.Is(err, login.ErrNotLoggedIn) {
		t.Fatalf("err = %v, want not signed in", err)
	}
}

func TestFileFallbackWithoutKeychain(t *testing.T) {
	for _, kerr := range []error{errors.New("dbus: no session bus"), keyring.ErrSetDataTooBig} {
		fileFallback(t, keychaintest.Failing(kerr))
	}
}

func fileFallback(t *testing.T, kc login.Keychain) {
	dir := t.TempDir()
	st := login.Store{Dir: filepath.Join(dir, "sessions"), Keychain: kc}
	sess := login.Session{Deployment: "mlflow", Tokens: login.Tokens{AccessToken: "a", IDToken: "i", RefreshToken: "r", Expiry: time.Now().Add(time.Hour)}}
	where, err := st.Save(sess)
	if err != nil || !strings.HasPrefix(where, login.InFile) {
		t.Fatalf("save: %q %v", where, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "sessions", "mlflow.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode: %v %v", fi.Mode(), err)
	}
	got, found, err := st.Load("mlflow")
	if err != nil || !found || got.RefreshToken != "r" {
		t.Fatalf("load: %+v %v %v", got, found, err)
	}
	if err := st.Delete("mlflow"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := st.Load("mlflow"); found {
		t.Error("still found after delete")
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

type lineWriter struct{ lines chan string }

func (w *lineWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(string(p), "\n") {
		w.lines <- strings.TrimSpace(l)
	}
	return len(p), nil
}

func (w *lineWriter) find(t *testing.T, sub string) string {
	t.Helper()
	for l := range w.lines {
		if strings.Contains(l, sub) {
			return l
		}
	}
	t.Fatal("not printed")
	return ""
}
