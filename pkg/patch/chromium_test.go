package patch

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// apiCall is one request the page made to the MLflow API stand-in.
type apiCall struct {
	Authorization string
	Cookie        string
	Route         string
}

// cognitoStub stands in for Cognito managed login's /oauth2/authorize and
// /oauth2/token (authorization code + PKCE S256). Test-only.
type cognitoStub struct {
	clientID    string
	redirectURI string
	issuer      string
	mu          sync.Mutex
	codes       map[string]string // code -> code_challenge
	issued      []string          // access tokens handed out
	errors      []string
}

func (c *cognitoStub) fail(w http.ResponseWriter, status int, msg string) {
	c.mu.Lock()
	c.errors = append(c.errors, msg)
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": msg})
}

func (c *cognitoStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", strings.TrimSuffix(c.redirectURI, "/"))
	switch r.URL.Path {
	case "/oauth2/authorize":
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != c.clientID || q.Get("redirect_uri") != c.redirectURI ||
			q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" {
			c.fail(w, http.StatusBadRequest, "authorize: bad query "+r.URL.RawQuery)
			return
		}
		code := randomString()
		c.mu.Lock()
		c.codes[code] = q.Get("code_challenge")
		c.mu.Unlock()
		http.Redirect(w, r, c.redirectURI+"?code="+code+"&state="+q.Get("state"), http.StatusFound)
	case "/oauth2/token":
		c.token(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (c *cognitoStub) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		c.fail(w, http.StatusBadRequest, "token: not a form POST")
		return
	}
	f := r.PostForm
	c.mu.Lock()
	challenge, ok := c.codes[f.Get("code")]
	delete(c.codes, f.Get("code"))
	c.mu.Unlock()
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	switch {
	case f.Get("grant_type") != "authorization_code" || f.Get("client_id") != c.clientID || f.Get("redirect_uri") != c.redirectURI:
		c.fail(w, http.StatusBadRequest, "token: bad form "+f.Encode())
		return
	case !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge:
		c.fail(w, http.StatusBadRequest, "token: unknown code or PKCE verifier does not match")
		return
	}
	exp := time.Now().Add(time.Hour).Unix()
	access := fakeJWT(map[string]any{"iss": c.issuer, "token_use": "access", "client_id": c.clientID, "exp": exp, "jti": randomString()})
	id := fakeJWT(map[string]any{"iss": c.issuer, "token_use": "id", "aud": c.clientID, "exp": exp, "jti": randomString()})
	c.mu.Lock()
	c.issued = append(c.issued, access)
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": access, "id_token": id, "refresh_token": "refresh-" + randomString(),
		"expires_in": 3600, "token_type": "Bearer",
	})
}

func fakeJWT(claims map[string]any) string {
	body, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"test"}`)) + "." + enc(body) + "." + enc([]byte("not-a-signature"))
}

func randomString() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// patchedUI builds what the MLflow UI build serves: the real index.html
// of the newest supported version with the project's patch applied, the
// bundle tag HtmlWebpackPlugin adds before </head>, and public/ files
// under static-files/.
func patchedUI(t *testing.T) (index []byte, public string) {
	t.Helper()
	orig, err := os.ReadFile("testdata/mlflow-" + config.DefaultMLflowVersion + "/public/index.html")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, indexPath), orig)
	if _, err := ApplyToDir(dir, mustOwnSeries(t)); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, indexPath))
	if err != nil {
		t.Fatal(err)
	}
	bundle := `<script defer="defer" src="static-files/static/js/main.js"></script>`
	html = bytes.Replace(html, []byte("</head>"), []byte(bundle+"</head>"), 1)
	return html, filepath.Dir(filepath.Join(dir, indexPath))
}

func findChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: CI needs it (.ci/setup.d/60-chromium.sh installs the Debian package)")
	}
	t.Skip("chromium not installed (apt-get install chromium); required when CI=true")
	return ""
}

// TestLoginInChromium signs in through the stub Cognito in headless
// Chromium and checks the page's API calls then carry the bearer token,
// forwarded from the cookie the way MLflow's UI does.
func TestLoginInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	browser := findChromium(t)
	index, public := patchedUI(t)

	calls := make(chan apiCall, 16)
	// Both servers are fully configured before they start: the listeners
	// (127.0.0.1) already know their addresses.
	ui := httptest.NewUnstartedServer(nil)
	uiURL := "http://" + ui.Listener.Addr().String()
	stub := &cognitoStub{clientID: "test-client", issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test",
		redirectURI: uiURL + "/", codes: map[string]string{}}
	cognito := httptest.NewUnstartedServer(stub)
	cognitoURL := "http://" + cognito.Listener.Addr().String()

	settings, err := LoginSettings{Region: "us-east-1", UserPoolID: "us-east-1_Test", ClientID: stub.clientID,
		Domain: cognitoURL, RedirectURI: stub.redirectURI, TokenUse: "access"}.JSON()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(index)
	})
	mux.HandleFunc("/static-files/"+LoginSettingsFile, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(settings)
	})
	mux.HandleFunc("/static-files/static/js/main.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, "testdata/ui-stub/main.js")
	})
	mux.Handle("/static-files/", http.StripPrefix("/static-files/", http.FileServer(http.Dir(public))))
	mux.HandleFunc("/ajax-api/2.0/mlflow/experiments/search", func(w http.ResponseWriter, r *http.Request) {
		calls <- apiCall{Authorization: r.Header.Get("Authorization"), Cookie: r.Header.Get("Cookie"), Route: r.URL.Query().Get("route")}
		if r.Header.Get("Authorization") == "" {
			http.Error(w, `{"error_code":"UNAUTHENTICATED"}`, http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"experiments":[]}`))
	})
	ui.Config.Handler = mux
	cognito.Start()
	t.Cleanup(cognito.Close)
	ui.Start()
	t.Cleanup(ui.Close)

	stderr := runChromium(t, browser, uiURL+"/#/experiments/1")

	deadline := time.After(90 * time.Second)
	var seen []apiCall
	for {
		select {
		case c := <-calls:
			seen = append(seen, c)
			if !strings.HasPrefix(c.Authorization, "Bearer ") {
				continue
			}
			stub.mu.Lock()
			issued := append([]string(nil), stub.issued...)
			stub.mu.Unlock()
			if len(issued) != 1 || c.Authorization != "Bearer "+issued[0] {
				t.Fatalf("API got %q, the stub issued %v", c.Authorization, issued)
			}
			if c.Route != "#/experiments/1" {
				t.Errorf("after login the page is at route %q, want #/experiments/1", c.Route)
			}
			if !strings.Contains(c.Cookie, "mlflow-request-header-Authorization=Bearer%20") {
				t.Errorf("browser cookie header %q lacks the request-header cookie", c.Cookie)
			}
			t.Logf("API calls, in order: %d without a token before login, then one with Bearer <the stub's access token> at route %s", len(seen)-1, c.Route)
			return
		case <-deadline:
			stub.mu.Lock()
			defer stub.mu.Unlock()
			t.Fatalf("no API call with a bearer token within 90s\nAPI calls: %+v\nstub errors: %v\nchromium stderr (tail):\n%s", seen, stub.errors, tail(stderr.String(), 3000))
		}
	}
}

// runChromium starts headless Chromium in its own process group, confined
// to loopback, and kills the group by its pid when the test ends.
func runChromium(t *testing.T, browser, url string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	profile := t.TempDir()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
		"--disable-background-networking", "--disable-component-update", "--metrics-recording-only",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--user-data-dir="+profile, url)
	stderr := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", browser, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		cancel()
	})
	return stderr
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprint("...", s[len(s)-n:])
}
