package verify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/mlflowctl/mlflowctl/internal/apigwtest"
	"github.com/mlflowctl/mlflowctl/internal/mlflowtest"
)

// The stand-ins for the hops of a deployment, on loopback (API Gateway's
// handling of the authorizer's answer and its own errors are
// internal/apigwtest's, shared with pkg/login's token-path gateway):
//
//   - amplify: the UI origin (index.html, mlflowctl-auth.json) and its
//     rewrites of /ajax-api/<*> and /get-artifact to the API stage, cookies
//     passed on (the app's AMPLIFY_MANAGED cache config). Not modelled:
//     CloudFront caching, custom headers, the 30 s rewrite timeout.
//   - api: API Gateway's REST stage /prod. UI routes call the REAL Node
//     authorizer (templates/authorizer, through testdata/
//     authorizer_harness.mjs) with a REQUEST event, then enforce its answer
//     as API Gateway does: no answer → 401, an answer without a valid
//     policy document → 500 AuthorizerConfigurationException, an explicit
//     Deny or no matching Allow → 403. /api/{proxy+} and /version require
//     a valid SigV4 signature (checked by re-signing with the test's
//     credentials) → else 403. Then the request goes to a real `mlflow
//     server`; a dead integration → 500. Not modelled: the authorizer's
//     result cache, the VPC link and NLB, throttling, 10 MB payloads.
//   - cognito domain: /oauth2/authorize redirects to /login for the app
//     client and its registered redirect URI with code + S256, else to
//     /error (what managed login does); no login page, no token endpoint.
type standIn struct {
	t          *testing.T
	amplify    *httptest.Server
	api        *httptest.Server
	domain     *httptest.Server
	authorizer string // the harness URL
	mu         sync.Mutex
	mlflow     string // the tracking server URL (changed by a fault)
	apiID      string
	clientID   string
	creds      aws.Credentials
	// openIAM lets unsigned requests through the IAM path (a fault).
	openIAM bool
}

const stage = "/prod"

func newStandIn(t *testing.T, authorizerURL, mlflowURL, clientID string, creds aws.Credentials) *standIn {
	s := &standIn{t: t, authorizer: authorizerURL, mlflow: mlflowURL, apiID: "a1b2c3d4e5", clientID: clientID, creds: creds}
	s.api = httptest.NewServer(http.HandlerFunc(s.serveAPI))
	s.domain = httptest.NewServer(http.HandlerFunc(s.serveDomain))
	s.amplify = httptest.NewServer(http.HandlerFunc(s.serveAmplify))
	t.Cleanup(func() { s.amplify.Close(); s.api.Close(); s.domain.Close() })
	return s
}

func (s *standIn) setMLflow(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mlflow = u
}

func (s *standIn) serverURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mlflow
}

func (s *standIn) uiURL() string  { return s.amplify.URL + "/" }
func (s *standIn) apiURL() string { return s.api.URL + stage + "/" }

func (s *standIn) serveAmplify(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/" || r.URL.Path == "/index.html":
		_, _ = io.WriteString(w, `<!doctype html><html><head><title>MLflow</title><script src="mlflowctl-login.js"></script></head><body></body></html>`)
	case r.URL.Path == "/mlflowctl-auth.json":
		_ = json.NewEncoder(w).Encode(map[string]any{"region": "us-east-1", "clientId": s.clientID, "domain": s.domain.URL, "redirectUri": s.uiURL(), "tokenUse": "access"})
	case strings.HasPrefix(r.URL.Path, "/ajax-api/") || r.URL.Path == "/get-artifact":
		target, _ := url.Parse(s.api.URL)
		p := httputil.NewSingleHostReverseProxy(target)
		r.URL.Path = stage + r.URL.Path
		r.Host = target.Host
		p.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *standIn) serveDomain(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.URL.Path == "/oauth2/authorize" && q.Get("client_id") == s.clientID && q.Get("redirect_uri") == s.uiURL() &&
		q.Get("response_type") == "code" && q.Get("code_challenge_method") == "S256" && q.Get("code_challenge") != "" {
		http.Redirect(w, r, "/login?"+r.URL.RawQuery, http.StatusFound)
		return
	}
	http.Redirect(w, r, "/error?error=redirect_mismatch", http.StatusFound)
}

func (s *standIn) serveAPI(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, stage)
	if !ok {
		apigwtest.MissingToken(w)
		return
	}
	if strings.HasPrefix(path, "/api/") || path == "/version" || path == "/health" {
		if !s.openIAM && !s.validSignature(r) {
			apigwtest.MissingToken(w)
			return
		}
	} else if !s.authorize(w, r, path) {
		return
	}
	s.forward(w, r, path)
}

func (s *standIn) forward(w http.ResponseWriter, r *http.Request, path string) {
	target, _ := url.Parse(s.serverURL())
	p := httputil.NewSingleHostReverseProxy(target)
	p.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
		apigwtest.Error(w, 500, "InternalServerErrorException", "Internal server error")
	}
	r.URL.Path = path
	r.Host = target.Host
	r.Header.Del("Authorization")
	p.ServeHTTP(w, r)
}

// authorize invokes the real authorizer with API Gateway's REQUEST event
// and enforces its answer.
func (s *standIn) authorize(w http.ResponseWriter, r *http.Request, path string) bool {
	methodArn := fmt.Sprintf("arn:aws:execute-api:us-east-1:123456789012:%s/prod/%s%s", s.apiID, r.Method, path)
	event := map[string]any{
		"type": "REQUEST", "methodArn": methodArn, "resource": "/{proxy+}", "path": path, "httpMethod": r.Method,
		"headers": map[string]string{"Cookie": r.Header.Get("Cookie")}, "multiValueHeaders": map[string][]string{"Cookie": r.Header.Values("Cookie")},
		"pathParameters": map[string]string{"proxy": strings.TrimPrefix(path, "/")},
	}
	if r.Header.Get("Cookie") == "" {
		// API Gateway does not call a REQUEST authorizer whose identity
		// source is missing: it answers 401 itself.
		apigwtest.Unauthorized(w)
		return false
	}
	body, _ := json.Marshal(event)
	res, err := http.Post(s.authorizer, "application/json", bytes.NewReader(body))
	if err != nil {
		apigwtest.Error(w, 500, "AuthorizerFailureException", "authorizer unreachable")
		return false
	}
	defer res.Body.Close()
	var out struct {
		Answer *struct {
			PolicyDocument *struct {
				Statement []apigwtest.Statement
			} `json:"policyDocument"`
		}
		Error string
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || (out.Answer == nil && out.Error == "") {
		apigwtest.Error(w, 500, "AuthorizerConfigurationException", "authorizer answered nothing")
		return false
	}
	if out.Error == "Unauthorized" {
		apigwtest.Unauthorized(w)
		return false
	}
	if out.Error != "" || out.Answer.PolicyDocument == nil || len(out.Answer.PolicyDocument.Statement) == 0 {
		apigwtest.Error(w, 500, "AuthorizerConfigurationException", "Internal server error")
		return false
	}
	return apigwtest.Deny(w, apigwtest.Evaluate(out.Answer.PolicyDocument.Statement, methodArn))
}

var sigRe = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/execute-api/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$`)

// validSignature re-signs the request with the test's credentials at the
// request's own time and compares the signatures.
func (s *standIn) validSignature(r *http.Request) bool {
	m := sigRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || m[1] != s.creds.AccessKeyID {
		return false
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	clone, _ := http.NewRequest(r.Method, u.String(), bytes.NewReader(body))
	for _, h := range strings.Split(m[4], ";") {
		if h != "host" {
			clone.Header.Set(h, r.Header.Get(h))
		}
	}
	clone.Header.Del("Authorization")
	hash := r.Header.Get("X-Amz-Content-Sha256")
	if hash == "" {
		hash = sha256Hex(body)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), s.creds, clone, hash, "execute-api", m[3], at); err != nil {
		return false
	}
	return clone.Header.Get("Authorization") == r.Header.Get("Authorization")
}

// --- processes ----------------------------------------------------------

// startProcess runs cmd in its own process group, waits for a line
// matching ready on stdout or stderr, and stops it by its pid at cleanup.
func startProcess(t *testing.T, cmd *exec.Cmd, ready *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if os.Getenv("VERIFY_TEST_LOG") != "" {
				fmt.Fprintln(os.Stderr, filepath.Base(cmd.Path)+": "+sc.Text())
			}
			if m := ready.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m
				sent = true
			}
		}
	}()
	select {
	case m := <-found:
		return m
	case <-time.After(timeout):
		t.Fatalf("%s did not start within %s", cmd.Path, timeout)
		return nil
	}
}

// botoPath is a directory holding only boto3 and its own dependencies,
// linked from the Python that runs moto: the mlflow venv (built for the
// route list) has no boto3, which the deployed server image installs to
// reach its s3:// artifact root.
func botoPath(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import boto3, os; print(os.path.dirname(os.path.dirname(boto3.__file__)))").Output()
	if err != nil {
		t.Skipf("boto3 not installed for python3: %v", err)
	}
	site := strings.TrimSpace(string(out))
	dir := t.TempDir()
	for _, pkg := range []string{"boto3", "botocore", "s3transfer", "jmespath"} {
		if err := os.Symlink(filepath.Join(site, pkg), filepath.Join(dir, pkg)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// cleanEnv drops empty AWS_* settings (mototest blanks AWS_PROFILE),
// which boto3 would take as a profile named "".
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") && (v == "" || k == "AWS_CONFIG_FILE" || k == "AWS_SHARED_CREDENTIALS_FILE") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startMLflow runs the real tracking server of an MLflow version (sqlite
// backend, artifacts in moto's S3 as in the deployment's s3:// root).
func startMLflow(t *testing.T, version, motoURL, bucket string) string {
	t.Helper()
	bin := filepath.Join(mlflowtest.Venv(t, version), "bin", "mlflow")
	dir := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(bin, "server", "--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"--backend-store-uri", "sqlite:///"+filepath.Join(dir, "mlflow.db"),
		"--default-artifact-root", "s3://"+bucket+"/artifacts", "--workers", "1")
	cmd.Env = append(cleanEnv(), "PYTHONPATH="+botoPath(t), "MLFLOW_S3_ENDPOINT_URL="+motoURL, "AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false")
	cmd.Dir = dir
	startProcess(t, cmd, regexp.MustCompile(`(Uvicorn running|Application startup complete|Listening at)`), 180*time.Second)
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	for range 100 {
		if res, err := http.Get(u + "/health"); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == 200 {
				return u
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("mlflow server never answered /health")
	return ""
}

// startAuthorizer runs the real authorizer under the harness.
func startAuthorizer(t *testing.T, motoURL, pool, client string, policy []byte) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(policyFile, policy, 0o600); err != nil {
		t.Fatal(err)
	}
	module, _ := filepath.Abs("../../templates/authorizer/authorizer.mjs")
	cmd := exec.Command(node, "testdata/authorizer_harness.mjs")
	cmd.Env = append(os.Environ(), "AUTHORIZER_MODULE=file://"+module, "USER_POOL_ID="+pool, "APP_CLIENT_ID="+client,
		"JWKS_URL="+motoURL+"/"+pool+"/.well-known/jwks.json", "POLICY_FILE="+policyFile,
		// The identity sources after issue 17: the UI path reads the cookie.
		`AUTH_SOURCES=[{"prefix":"/","source":"cookie:mlflow-request-header-Authorization"}]`)
	m := startProcess(t, cmd, regexp.MustCompile(`^PORT (\d+)$`), 30*time.Second)
	return "http://127.0.0.1:" + m[1]
}

func decodeJSON(res *http.Response, v any) error { return json.NewDecoder(res.Body).Decode(v) }

func put(t *testing.T, u string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
}
