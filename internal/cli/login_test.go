package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/deploy/cfnfake"
	"github.com/mlflowctl/mlflowctl/pkg/login"
	"github.com/mlflowctl/mlflowctl/pkg/login/cognitotest"
	"github.com/mlflowctl/mlflowctl/pkg/login/keychaintest"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// cliTestPorts are loopback ports for these tests (not the product's, so
// a developer's own mlflowctl login is never disturbed).
var cliTestPorts = []int{49917, 49918}

// fakeLogin points login at a Cognito stand-in over HTTPS, a browser that
// follows the redirects with an HTTP client, the keychain at a per-test
// mock and the file fallback at a scratch directory.
func fakeLogin(t *testing.T) (*cognitotest.Server, environment) {
	t.Helper()
	noAWSEnv(t)
	var cbs []string
	for _, p := range cliTestPorts {
		cbs = append(cbs, login.RedirectURI(p))
	}
	c := cognitotest.NewTLS("eu-west-1_Pool1", "client-1", cbs)
	t.Cleanup(c.Close)
	c.AddUser("rita@example.com", "readers")
	c.SignInAs("rita@example.com")
	env := environment{
		loginPorts: cliTestPorts, loginHTTP: c.Client(), loginStore: &login.Store{Dir: t.TempDir(), Keychain: keychaintest.New()},
		browser: func(u string) error {
			go func() {
				resp, err := c.Client().Get(u)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
			}()
			return nil
		},
	}
	return c, env
}

func loginFlags(c *cognitotest.Server) []string {
	return []string{"--tracking-uri", "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/", "--auth-domain", c.URL, "--client-id", "client-1"}
}

func TestLoginTokenEnvLogout(t *testing.T) {
	t.Parallel()
	c, env := fakeLogin(t)
	out, _, err := runCLIEnv(t, env, append([]string{"login"}, loginFlags(c)...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "as rita@example.com (groups: readers)") || !strings.Contains(out, "keychain") {
		t.Errorf("login said:\n%s", out)
	}
	tok, _, err := runCLIEnv(t, env, "token")
	if err != nil || strings.Count(strings.TrimSpace(tok), ".") != 2 {
		t.Fatalf("token: %v %q", err, tok)
	}
	shellEnv, _, err := runCLIEnv(t, env, "env", "--shell", "bash")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"export MLFLOW_TRACKING_URI='https://abc123.execute-api.eu-west-1.amazonaws.com/prod/t'",
		`export MLFLOW_TRACKING_TOKEN="$(mlflowctl token)"`, "pip install mlflow",
	} {
		if !strings.Contains(shellEnv, want) {
			t.Errorf("env lacks %q:\n%s", want, shellEnv)
		}
	}
	if strings.Contains(shellEnv, strings.TrimSpace(tok)) {
		t.Error("env printed the token itself")
	}
	js, _, err := runCLIEnv(t, env, "env", "--token", "-o", "json")
	var e clientEnv
	if err != nil || json.Unmarshal([]byte(js), &e) != nil || e.Mode != "token" || e.TokenCommand != "mlflowctl token" {
		t.Errorf("env -o json: %v %s", err, js)
	}
	out, _, err = runCLIEnv(t, env, "logout")
	if err != nil || !strings.Contains(out, "revoked") || len(c.Revoked) != 1 {
		t.Fatalf("logout: %v %s revoked %v", err, out, c.Revoked)
	}
	_, _, err = runCLIEnv(t, env, "token")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "run mlflowctl login") {
		t.Fatalf("token after logout: exit %d %v", exitCode(err), err)
	}
}

func TestLoginNoBrowser(t *testing.T) {
	t.Parallel()
	c, env := fakeLogin(t)
	env.browser = func(string) error { t.Error("--no-browser opened a browser"); return nil }
	// The person signs in elsewhere and pastes the address the browser
	// ended on; the stand-in's authorize redirect gives that address.
	pr, pw := io.Pipe()
	var errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := runCLIWith(t, env, pr, &errOut, append([]string{"login", "--no-browser"}, loginFlags(c)...)...)
		done <- err
	}()
	authURL := errOut.waitFor(t, "/oauth2/authorize?")
	hc := c.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	_, _ = io.WriteString(pw, resp.Header.Get("Location")+"\n")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestEnvSigV4Shells(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	env := environment{loginStore: &login.Store{Dir: t.TempDir(), Keychain: keychaintest.New()}}
	uri := "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
	for shell, want := range map[string]string{
		"bash":       "export MLFLOW_TRACKING_AWS_SIGV4='true'",
		"zsh":        "export MLFLOW_TRACKING_URI='" + uri + "'",
		"fish":       "set -gx AWS_DEFAULT_REGION 'eu-west-1'",
		"powershell": "$env:MLFLOW_TRACKING_URI = '" + uri + "'",
	} {
		out, _, err := runCLIEnv(t, env, "env", "--sigv4", "--tracking-uri", uri, "--shell", shell)
		if err != nil || !strings.Contains(out, want) || !strings.Contains(out, "requests-auth-aws-sigv4") {
			t.Errorf("%s: %v\n%s", shell, err, out)
		}
	}
	_, _, err := runCLIEnv(t, env, "env", "--shell", "tcsh")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--shell") {
		t.Errorf("bad shell: exit %d %v", exitCode(err), err)
	}
	_, _, err = runCLIEnv(t, env, "env", "--sigv4", "--token")
	if exitCode(err) != 2 {
		t.Errorf("--sigv4 --token: exit %d %v", exitCode(err), err)
	}
	_, _, err = runCLIEnv(t, env, "env", "--token")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "run mlflowctl login") {
		t.Errorf("--token without login: exit %d %v", exitCode(err), err)
	}
}

func TestLoginFlagsGoTogether(t *testing.T) {
	t.Parallel()
	noAWSEnv(t)
	_, _, err := runCLI(t, "login", "--client-id", "x")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "--auth-domain") {
		t.Errorf("exit %d %v", exitCode(err), err)
	}
}

// The ports login listens on are the callback URLs the template registers.
func TestLoginPortsAreRegisteredCallbacks(t *testing.T) {
	t.Parallel()
	var want []string
	for _, p := range login.CallbackPorts {
		want = append(want, login.RedirectURI(p))
	}
	if strings.Join(want, " ") != strings.Join(stacks.CLICallbackURLs, " ") {
		t.Errorf("login redirects to %v, the app client registers %v", want, stacks.CLICallbackURLs)
	}
}

// runCLIWith runs mlflowctl with a given stdin and stderr.
func runCLIWith(t *testing.T, env environment, in io.Reader, errOut io.Writer, args ...string) (string, error) {
	var out strings.Builder
	err := execute(t.Context(), BuildInfo{Version: "1.2.3"}, args, IO{In: in, Out: &out, Err: errOut}, inTest(t, env))
	return out.String(), err
}

// syncBuffer is a stderr that a test can wait on.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	return len(p), nil
}

// waitFor returns the first line containing sub, once written.
func (b *syncBuffer) waitFor(t *testing.T, sub string) string {
	t.Helper()
	for range 500 {
		b.mu.Lock()
		s := b.buf.String()
		b.mu.Unlock()
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, sub) {
				return strings.TrimSpace(l)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never printed %q", sub)
	return ""
}

// Without flags, login reads the Cognito domain, app client and tracking
// URI from the api stack's outputs (and the MLflow version from the
// server stack's, for the pip line).
func TestLoginReadsTheDeploymentsStacks(t *testing.T) {
	t.Parallel()
	c, login := fakeLogin(t)
	fake := cfnfake.New()
	fake.Seed("mlflow-api", fmt.Sprintf(`Outputs:
  RestApiUrl: {Value: "https://xyz789abcd.execute-api.eu-west-1.amazonaws.com/prod/"}
  CognitoDomainUrl: {Value: %q}
  UserPoolClientId: {Value: client-1}
`, c.URL), nil, nil, "CREATE_COMPLETE")
	fake.Seed("mlflow-server", "Outputs:\n  MLflowVersion: {Value: \"3.18.0\"}\n", nil, nil, "CREATE_COMPLETE")
	aws := withFakeAWS(t, fake, &putRecorder{})
	aws.loginPorts, aws.loginHTTP, aws.loginStore, aws.browser = login.loginPorts, login.loginHTTP, login.loginStore, login.browser
	if _, _, err := runCLIEnv(t, aws, "login"); err != nil {
		t.Fatal(err)
	}
	env, _, err := runCLIEnv(t, aws, "env")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"'https://xyz789abcd.execute-api.eu-west-1.amazonaws.com/prod/t'", "pip install 'mlflow==3.18.0'"} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %s:\n%s", want, env)
		}
	}
}
