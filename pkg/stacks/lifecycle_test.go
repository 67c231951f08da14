package stacks

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/internal/mlflowtest"
)

// cfnSub resolves the script's Fn::Sub references as CloudFormation does.
func cfnSub(script, apiID, region, suffix string) string {
	return strings.NewReplacer("${RestApiId}", apiID, "${AWS::Region}", region, "${AWS::URLSuffix}", suffix).Replace(script)
}

// SageMaker refuses StudioLifecycleConfigContent longer than 16,384
// characters (it is the base64 of the script).
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateStudioLifecycleConfig.html
func TestLifecycleScriptFitsSageMakersLimit(t *testing.T) {
	s, err := LifecycleScript()
	if err != nil {
		t.Fatal(err)
	}
	// The longest values: a 10-character API id, "ap-southeast-5"-long
	// regions, the China partition's URL suffix.
	n := len(base64.StdEncoding.EncodeToString([]byte(cfnSub(s, "abcdefghij", "ap-southeast-5", "amazonaws.com.cn"))))
	t.Logf("lifecycle content: %d of %d characters", n, MaxLifecycleContent)
	if n > MaxLifecycleContent {
		t.Errorf("lifecycle content is %d characters, SageMaker takes at most %d", n, MaxLifecycleContent)
	}
}

// Lifecycle configurations are immutable (SageMaker API reference,
// StudioLifecycleConfigDetails: "LastModifiedTime ... is equivalent to
// CreationTime because ... Lifecycle Configurations are immutable"), so a
// changed script must come with a new name: CloudFormation replaces the
// resource, and a replacement with the same custom name fails.
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StudioLifecycleConfigDetails.html
func TestLifecycleConfigNameFollowsItsContent(t *testing.T) {
	tpl := parsed(t, mustStack(t, render(t, variants()[0].cfg), Studio))
	lc := tpl.Resources["JupyterLabLifecycleConfig"].Properties
	s, _ := LifecycleScript()
	if name := lc["StudioLifecycleConfigName"].(map[string]any)["Fn::Sub"].(string); !strings.HasSuffix(name, hash8([]byte(s))) || !strings.Contains(name, "${RestApiId}") {
		t.Errorf("name %q does not carry the API id and the script hash", name)
	}
	if len("mlflow-mlflow-abcdefghij-12345678") > 63 {
		t.Error("name too long")
	}
	for id, r := range tpl.Resources {
		if r.Type != "AWS::SageMaker::UserProfile" {
			continue
		}
		jl := r.Properties["UserSettings"].(map[string]any)["JupyterLabAppSettings"].(map[string]any)
		def := jl["DefaultResourceSpec"].(map[string]any)["LifecycleConfigArn"].(map[string]any)["Fn::GetAtt"]
		if def == nil || !strings.Contains(strings.Join(toStrings(def), "."), "JupyterLabLifecycleConfig.StudioLifecycleConfigArn") {
			t.Errorf("%s: the lifecycle configuration is not the JupyterLab default: %v", id, jl)
		}
	}
}

func toStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return strings.Split(x, ".")
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// The rendered script in a shell with a fake home and the real MLflow
// client's Python (which lacks requests-auth-aws-sigv4): a new kernel
// (IPython's startup file) and a terminal (~/.bashrc) get the variables,
// the module imports, and `mlflow.search_experiments()` goes out signed
// with SigV4. Not modelled: the SageMaker Distribution image, the
// lifecycle runner's 5-minute limit, the space's EBS home.
func TestLifecycleScriptInAFakeStudio(t *testing.T) {
	py := mlflowtest.Python(t, "3.18.0")
	s, err := LifecycleScript()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "lcc.sh")
	if err := os.WriteFile(script, []byte(cfnSub(s, "abc123defg", "eu-west-1", "amazonaws.com")), 0o700); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + filepath.Dir(py) + ":/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE=1"}
	for range 2 { // twice: a restart of the app runs it again
		cmd := exec.Command("bash", script)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("lifecycle script: %v\n%s", err, out)
		}
	}
	rc, _ := os.ReadFile(filepath.Join(home, ".bashrc"))
	if n := strings.Count(string(rc), "\n"); n != 1 || !strings.Contains(string(rc), ". ~/.mlflowctl/env.sh") {
		t.Errorf(".bashrc has %d lines, want the one that sources env.sh:\n%s", n, rc)
	}
	want := "https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod"

	// A terminal.
	term := exec.Command("bash", "-c", `. ~/.bashrc; echo "$MLFLOW_TRACKING_URI $MLFLOW_TRACKING_AWS_SIGV4"; python3 -c 'import requests_auth_aws_sigv4'`)
	term.Env = env
	out, err := term.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != want+" true" {
		t.Errorf("terminal: %v %q", err, out)
	}

	// A notebook kernel: the startup file, then the user's code. The
	// tracking server stand-in records the Authorization header.
	var mu sync.Mutex
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"experiments": []}`))
	}))
	defer srv.Close()
	startup := filepath.Join(home, ".ipython", "profile_default", "startup", "00-mlflowctl.py")
	kernel := `import os, sys
exec(open(sys.argv[1]).read())
print(os.environ["MLFLOW_TRACKING_URI"], os.environ["MLFLOW_TRACKING_AWS_SIGV4"])
os.environ["MLFLOW_TRACKING_URI"] = sys.argv[2]  # the stand-in instead of API Gateway
import mlflow
print(len(mlflow.search_experiments()))
`
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nb := exec.CommandContext(ctx, py, "-W", "ignore", "-c", kernel, startup, srv.URL)
	nb.Env = append(slices.Clone(env), "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret-example")
	out, err = nb.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), want+" true\n") {
		t.Fatalf("notebook: %v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/eu-west-1/execute-api/aws4_request") {
		t.Errorf("the request was not SigV4-signed for execute-api in eu-west-1: %q", auth)
	}
}
