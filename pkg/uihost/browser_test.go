package uihost

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/patch"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
	"github.com/mlflowctl/mlflowctl/pkg/uihost/pypifake"
)

// The image artifact's size: the test looks for an <img> this size.
const plotW, plotH = 37, 23

// realWheel is the released mlflow wheel of version, which CI downloads
// pinned by sha256 (.ci/setup.d/45-mlflow-wheels.sh).
func realWheel(t *testing.T, version string) []byte {
	t.Helper()
	dir := os.Getenv("MLFLOWCTL_WHEELS")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "mlflowctl", "wheels")
	}
	data, err := os.ReadFile(filepath.Join(dir, "mlflow-"+version+"-py3-none-any.whl"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the mlflow %s wheel is missing (.ci/setup.d/45-mlflow-wheels.sh downloads it): %v", version, err)
		}
		t.Skipf("no mlflow %s wheel in %s (run .ci/setup.d/45-mlflow-wheels.sh)", version, dir)
	}
	return data
}

func mlflowVenv(t *testing.T, version string) string {
	t.Helper()
	root := os.Getenv("MLFLOWCTL_MLFLOW_VENVS")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".cache", "mlflowctl", "mlflow-venvs")
	}
	venv := filepath.Join(root, version)
	if _, err := os.Stat(filepath.Join(venv, "bin", "mlflow")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no mlflow %s venv at %s (.ci/setup.d/40-mlflow.sh makes it)", version, venv)
		}
		t.Skipf("no mlflow %s venv at %s", version, venv)
	}
	return venv
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startMLflow runs the real `mlflow server` of version on 127.0.0.1 with a
// SQLite store and served artifacts, stopped by its pid when the test ends.
func startMLflow(t *testing.T, venv string) string {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(filepath.Join(venv, "bin", "mlflow"), "server", "--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"--workers", "1", "--backend-store-uri", "sqlite:///"+filepath.Join(dir, "mlflow.db"),
		"--artifacts-destination", filepath.Join(dir, "artifacts"))
	cmd.Dir = dir
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(120 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if resp, err := http.Get(base + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
	}
	t.Fatalf("mlflow server did not answer /health within 120s:\n%s", tail(logs.String(), 3000))
	return ""
}

// seedRun logs, through the real server's REST API (what the Python
// client calls, without its seconds of imports), an experiment and a run
// with a metric and a PNG artifact uploaded to the served artifact store;
// it returns their ids.
func seedRun(t *testing.T, trackingURI string) (expID, runID string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, plotW, plotH))
	for x := range plotW {
		for y := range plotH {
			img.Set(x, y, color.RGBA{R: 200, G: uint8(x * 6), B: uint8(y * 10), A: 255})
		}
	}
	var plot bytes.Buffer
	if err := png.Encode(&plot, img); err != nil {
		t.Fatal(err)
	}
	call := func(method, path string, body any, out any) {
		t.Helper()
		var rd *bytes.Reader
		if raw, ok := body.([]byte); ok {
			rd = bytes.NewReader(raw)
		} else {
			data, _ := json.Marshal(body)
			rd = bytes.NewReader(data)
		}
		req, _ := http.NewRequest(method, trackingURI+path, rd)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: HTTP %d", method, path, resp.StatusCode)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	var exp struct {
		ExperimentID string `json:"experiment_id"`
	}
	call("POST", "/api/2.0/mlflow/experiments/create", map[string]string{"name": "browser-check"}, &exp)
	var run struct {
		Run struct {
			Info struct {
				RunID       string `json:"run_id"`
				ArtifactURI string `json:"artifact_uri"`
			} `json:"info"`
		} `json:"run"`
	}
	call("POST", "/api/2.0/mlflow/runs/create", map[string]any{"experiment_id": exp.ExperimentID, "run_name": "run-with-image",
		"start_time": time.Now().UnixMilli()}, &run)
	id := run.Run.Info.RunID
	call("POST", "/api/2.0/mlflow/runs/log-metric", map[string]any{"run_id": id, "key": "loss", "value": 0.5,
		"timestamp": time.Now().UnixMilli(), "step": 0}, nil)
	artifacts, ok := strings.CutPrefix(run.Run.Info.ArtifactURI, "mlflow-artifacts:/")
	if !ok {
		t.Fatalf("run artifact URI %q is not served by the server", run.Run.Info.ArtifactURI)
	}
	call("PUT", "/api/2.0/mlflow-artifacts/artifacts/"+strings.TrimPrefix(artifacts, "/")+"/plot.png", plot.Bytes(), nil)
	call("POST", "/api/2.0/mlflow/runs/update", map[string]any{"run_id": id, "status": "FINISHED", "end_time": time.Now().UnixMilli()}, nil)
	return exp.ExperimentID, id
}

// cognitoStub stands in for Cognito managed login's /oauth2/authorize and
// /oauth2/token (authorization code grant + PKCE S256, RFC 7636): it
// checks the challenge against the verifier. It does not model the hosted
// login page, user sessions, refresh tokens' rotation or token signatures.
type cognitoStub struct {
	clientID, redirectURI, issuer string
	mu                            sync.Mutex
	codes                         map[string]string // code -> code_challenge
	issued                        map[string]bool   // access tokens handed out
	errors                        []string
}

func (c *cognitoStub) fail(w http.ResponseWriter, msg string) {
	c.mu.Lock()
	c.errors = append(c.errors, msg)
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": msg})
}

func (c *cognitoStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", strings.TrimSuffix(c.redirectURI, "/"))
	switch r.URL.Path {
	case "/oauth2/authorize":
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != c.clientID || q.Get("redirect_uri") != c.redirectURI ||
			q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" {
			c.fail(w, "authorize: bad query "+r.URL.RawQuery)
			return
		}
		code := randomString()
		c.mu.Lock()
		c.codes[code] = q.Get("code_challenge")
		c.mu.Unlock()
		http.Redirect(w, r, c.redirectURI+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	case "/oauth2/token":
		c.token(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (c *cognitoStub) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		c.fail(w, "token: not a form POST")
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
		c.fail(w, "token: bad form "+f.Encode())
		return
	case !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge:
		c.fail(w, "token: unknown code or PKCE verifier does not match")
		return
	}
	exp := time.Now().Add(time.Hour).Unix()
	access := fakeJWT(map[string]any{"iss": c.issuer, "token_use": "access", "client_id": c.clientID, "exp": exp, "jti": randomString()})
	id := fakeJWT(map[string]any{"iss": c.issuer, "token_use": "id", "aud": c.clientID, "exp": exp, "jti": randomString()})
	c.mu.Lock()
	c.issued[access] = true
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "id_token": id, "refresh_token": "refresh-" + randomString(),
		"expires_in": 3600, "token_type": "Bearer"})
}

func (c *cognitoStub) valid(token string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.issued[token]
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

// apiLog is what the authorizing proxy saw.
type apiLog struct {
	mu       sync.Mutex
	ok       []string // "GET /ajax-api/... 200"
	rejected []string
	missing  []string // paths Amplify would 404 (no file, no rewrite)
}

func (l *apiLog) add(list *[]string, s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	*list = append(*list, s)
}

func (l *apiLog) snapshot() (ok, rejected, missing []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ok...), append([]string(nil), l.rejected...), append([]string(nil), l.missing...)
}

// authorizingProxy stands in for API Gateway with the Cognito authorizer
// in front of the real mlflow server: any call without a bearer token the
// Cognito stub issued is rejected (401), as the authorizer denies it. It
// does not model the permission matrix (every valid token may call all).
func authorizingProxy(mlflowURL string, stub *cognitoStub, log *apiLog) http.Handler {
	target, _ := url.Parse(mlflowURL)
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Header.Del("Authorization")
		r.Out.Header.Del("Cookie")
	}}
	rp.ModifyResponse = func(resp *http.Response) error {
		log.add(&log.ok, fmt.Sprintf("%s %s %d", resp.Request.Method, resp.Request.URL.RequestURI(), resp.StatusCode))
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := requestToken(r)
		if !ok || !stub.valid(token) {
			log.add(&log.rejected, r.Method+" "+r.URL.RequestURI())
			http.Error(w, `{"message":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		rp.ServeHTTP(w, r)
	})
}

// requestToken finds the bearer token where the project's authorizer
// looks (templates/authorizer/authorizer.mjs, extractToken): the
// Authorization header, else the UI's cookie, whose value is the
// URL-encoded "Bearer <jwt>". The header wins; a bad header is not
// rescued by the cookie. (The UI's telemetry Web Worker cannot read the
// cookie to make a header, so its calls carry only the cookie.)
func requestToken(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		return strings.CutPrefix(h, "Bearer ")
	}
	c, err := r.Cookie(patch.LoginCookie)
	if err != nil {
		return "", false
	}
	v, err := url.QueryUnescape(c.Value)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(v, "Bearer ")
}

// rule is one Amplify custom rule (rewrite, status 200).
type rule struct{ Source, Target string }

// templateRewrites reads the api stack's AWS::Amplify::App CustomRules
// from the rendered template, so the test serves what the template
// declares, not a copy of it.
func templateRewrites(t *testing.T) []rule {
	t.Helper()
	d, err := stacks.Render(config.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Stacks {
		if s.ID != stacks.API {
			continue
		}
		var doc struct {
			Resources map[string]struct {
				Type       string `yaml:"Type"`
				Properties struct {
					CustomRules []yaml.Node `yaml:"CustomRules"`
				} `yaml:"Properties"`
			} `yaml:"Resources"`
		}
		if err := yaml.Unmarshal(s.Template, &doc); err != nil {
			t.Fatal(err)
		}
		var rules []rule
		for _, res := range doc.Resources {
			if res.Type != "AWS::Amplify::App" {
				continue
			}
			for _, n := range res.Properties.CustomRules {
				var r struct {
					Source string `yaml:"Source"`
					Target string `yaml:"Target"`
					Status string `yaml:"Status"`
				}
				if err := n.Decode(&r); err != nil || r.Status != "200" {
					t.Fatalf("custom rule %v: %v", r, err)
				}
				rules = append(rules, rule{r.Source, r.Target})
			}
		}
		if len(rules) == 0 {
			t.Fatal("the api template declares no Amplify custom rules")
		}
		return rules
	}
	t.Fatal("no api stack rendered")
	return nil
}

// amplifySite serves files as Amplify Hosting does for this app: each
// request goes through the rules in order (a rule "/x/<*>" captures the
// rest of the path, a rule "/x" matches that path; both ignore the query);
// a target under the REST API (a !Sub of the execute-api URL) goes to api,
// another target is a path in the site. Without a rule, a file is served,
// "/" is index.html, anything else 404. Rules apply "from the top of the
// list down" and <*> carries the rest of the path to the target
// (https://docs.aws.amazon.com/amplify/latest/userguide/redirects.html,
// .../redirect-rewrite-examples.html). It does not model redirects (3xx
// rules), conditions, custom headers or the CDN cache.
func amplifySite(files map[string][]byte, rules []rule, api http.Handler, log *apiLog) http.Handler {
	serveFile := func(w http.ResponseWriter, r *http.Request, p string) {
		name := strings.TrimPrefix(p, "/")
		if name == "" {
			name = "index.html"
		}
		data, ok := files[name]
		if !ok {
			log.add(&log.missing, r.Method+" "+r.URL.RequestURI())
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, ru := range rules {
			rest, matched := matchRule(ru.Source, r.URL.Path)
			if !matched {
				continue
			}
			if strings.Contains(ru.Target, "execute-api") {
				api.ServeHTTP(w, r)
				return
			}
			serveFile(w, r, strings.Replace(ru.Target, "<*>", rest, 1))
			return
		}
		serveFile(w, r, r.URL.Path)
	})
}

func matchRule(source, path string) (rest string, ok bool) {
	if prefix, wild := strings.CutSuffix(source, "<*>"); wild {
		return strings.CutPrefix(path, prefix)
	}
	return "", path == source
}

// uiRoutes are the pages the test opens per major version: the
// experiments list, then a run's artifact (the route both UIs declare).
func experimentsRoute(version string) string {
	if config.Major(version) == 2 {
		return "#/"
	}
	return "#/experiments"
}

// uiCheck is one run of the real UI in Chromium against the stand-ins.
type uiCheck struct {
	version string
	files   map[string][]byte
}

// run logs in and checks what the UI renders; it returns the first
// problem, so a caller can also assert it fails.
func (c uiCheck) run(t *testing.T, mlflowURL, expID, runID string) (*apiLog, error) {
	t.Helper()
	log := &apiLog{}
	site := httptest.NewUnstartedServer(nil)
	siteURL := "http://" + site.Listener.Addr().String()
	stub := &cognitoStub{clientID: "browser-client", issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Browser",
		redirectURI: siteURL + "/", codes: map[string]string{}, issued: map[string]bool{}}
	cognito := httptest.NewServer(stub)
	t.Cleanup(cognito.Close)
	settings, err := patch.LoginSettings{Region: "us-east-1", UserPoolID: "us-east-1_Browser", ClientID: stub.clientID,
		Domain: cognito.URL, RedirectURI: stub.redirectURI, TokenUse: "access"}.JSON()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{SettingsFile: settings}
	for k, v := range c.files {
		files[k] = v
	}
	site.Config.Handler = amplifySite(files, templateRewrites(t), authorizingProxy(mlflowURL, stub, log), log)
	site.Start()
	t.Cleanup(site.Close)

	b := startBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	noRejection := func() error {
		if _, rejected, _ := log.snapshot(); len(rejected) > 0 {
			return fmt.Errorf("the proxy rejected UI requests without a valid token: %v", rejected)
		}
		stub.mu.Lock()
		defer stub.mu.Unlock()
		if len(stub.errors) > 0 {
			return fmt.Errorf("the Cognito stand-in refused the login: %v", stub.errors)
		}
		return nil
	}
	route := experimentsRoute(c.version)
	if err := b.navigate(siteURL + "/" + route); err != nil {
		return log, err
	}
	err = b.waitFor(ctx, "the experiments list with browser-check",
		`location.search === "" && !!document.body && document.body.innerText.includes("browser-check")`, noRejection)
	if err != nil {
		return log, err
	}
	var hash string
	if err := b.eval("location.hash", &hash); err != nil {
		return log, err
	}
	if !strings.HasPrefix(hash, route) {
		return log, fmt.Errorf("after login the page is at %q, want the route it asked for, %s", hash, route)
	}
	artifact := fmt.Sprintf("#/experiments/%s/runs/%s/artifactPath/plot.png", expID, runID)
	if err := b.eval(`location.hash = `+jsString(artifact)+`; true`, new(bool)); err != nil {
		return log, err
	}
	err = b.waitFor(ctx, "the run's plot.png rendered as an image",
		fmt.Sprintf(`Array.from(document.images).some(i => i.complete && i.naturalWidth === %d && i.naturalHeight === %d)`, plotW, plotH), noRejection)
	if err != nil {
		return log, err
	}
	return log, noRejection()
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestRealUIInChromium is the prebuilt path end to end, per supported
// version: the real wheel, served by the index stand-in and patched by
// Wheels.Fetch + PrebuiltFiles, is served as Amplify would serve it (site
// root, the api template's rewrites), with a Cognito stand-in and the
// real `mlflow server` behind a proxy that rejects any API call without a
// valid token. Headless Chromium logs in, shows the experiments list and
// a run's image artifact, and no request of the UI is rejected.
func TestRealUIInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts mlflow server and a browser")
	}
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			venv := mlflowVenv(t, v)
			wheel := realWheel(t, v)
			ix := pypifake.New(t)
			ix.Add(v, wheel)
			fetched, _, err := Wheels{Index: ix.JSONURL(), CacheDir: t.TempDir()}.Fetch(context.Background(), v)
			if err != nil {
				t.Fatal(err)
			}
			choice, err := Choose(config.Defaults())
			if err != nil {
				t.Fatal(err)
			}
			files, err := PrebuiltFiles(fetched, choice.Insertion)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			mlflowURL := startMLflow(t, venv)
			t1 := time.Now()
			expID, runID := seedRun(t, mlflowURL)
			t.Logf("mlflow server up in %s, run seeded in %s", t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
			start := time.Now()
			log, err := uiCheck{version: v, files: files}.run(t, mlflowURL, expID, runID)
			ok, _, missing := log.snapshot()
			if err != nil {
				t.Fatalf("%v\nAPI calls: %v\n404s: %v", err, ok, missing)
			}
			t.Logf("MLflow %s: logged in and rendered the experiments list and plot.png in %s; %d API calls, all with a valid token; paths without a file or rewrite (404): %v",
				v, time.Since(start).Round(time.Millisecond), len(ok), missing)
			if !containsPrefix(ok, "experiments/search") || !containsPrefix(ok, "plot.png") {
				t.Fatalf("the UI did not list experiments or fetch plot.png through the API: %v", ok)
			}

			if v != config.DefaultMLflowVersion {
				return
			}
			// The same site without the script tag must fail this check:
			// the UI calls the API without a token.
			bare := map[string][]byte{}
			for k, d := range files {
				bare[k] = d
			}
			bare["index.html"] = bytes.Replace(files["index.html"], []byte(choice.Insertion.HeadTags[0]), nil, 1)
			if _, err := (uiCheck{version: v, files: bare}).run(t, mlflowURL, expID, runID); err == nil || !strings.Contains(err.Error(), "rejected") {
				t.Fatalf("without the login script tag the check must fail on rejected requests, got %v", err)
			}
		})
	}
}

func containsPrefix(lines []string, part string) bool {
	for _, l := range lines {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}
