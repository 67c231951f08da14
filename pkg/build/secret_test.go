package build

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/templates"
)

// dbPassword is a password with every character a URI cares about.
const dbPassword = `p@ss:w/rd%?#[]&=+ "'é`

// TestNoSecretInAnyImageFile renders every image while the process holds a
// database secret and AWS keys in its environment (as an operator's shell
// might), and checks no layer source (Dockerfile, context zip) carries them
// and no Dockerfile declares a credential as ARG or ENV: the entrypoint
// reads the secret when the container starts.
func TestNoSecretInAnyImageFile(t *testing.T) {
	secret, _ := json.Marshal(map[string]string{"username": "mlflow", "password": dbPassword})
	t.Setenv("DB_SECRET", string(secret))
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")
	needles := []string{dbPassword, "wJalrXUtnFEMI", "p@ss"}
	credential := regexp.MustCompile(`(?im)^\s*(ARG|ENV)\b.*(PASSWORD|DB_SECRET|SECRET_ACCESS|TOKEN|API_KEY)`)
	for _, v := range config.SupportedMLflowVersions {
		for _, im := range renderAll(t, v) {
			z, err := im.Zip()
			if err != nil {
				t.Fatal(err)
			}
			for _, blob := range append(unzipAll(t, z), z, im.Dockerfile()) {
				for _, n := range needles {
					if bytes.Contains(blob, []byte(n)) {
						t.Errorf("%s %s: a build file contains %q", im.Kind, v, n)
					}
				}
			}
			if m := credential.Find(im.Dockerfile()); m != nil {
				t.Errorf("%s %s: Dockerfile declares a credential: %s", im.Kind, v, m)
			}
		}
	}
}

func unzipAll(t *testing.T, z []byte) [][]byte {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		_ = rc.Close()
		out = append(out, b)
	}
	return out
}

// entrypointProbe imports the server entrypoint with python3 and prints
// what it computes for an environment, as JSON.
const entrypointProbe = `
import json, sys
sys.path.insert(0, sys.argv[1])
import entrypoint as e
env = json.loads(sys.stdin.read())
out = {"args": {}}
try:
    e.check_secret(env)
    out["uri"] = e.database_uri(env)
except e.StartupError as exc:
    out["error"] = str(exc)
for v in ("2.12.2", "3.4.0", "3.5.0", "3.18.0"):
    try:
        out["args"][v] = e.server_args(env, v)
    except e.StartupError as exc:
        out["args"][v] = str(exc)
print(json.dumps(out))
`

type probeResult struct {
	URI   string         `json:"uri"`
	Error string         `json:"error"`
	Args  map[string]any `json:"args"`
}

func probe(t *testing.T, env map[string]string) probeResult {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	dir := t.TempDir()
	src, err := templates.FS.ReadFile("docker/server/entrypoint.py")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "entrypoint.py"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(env)
	cmd := exec.Command(py, "-c", entrypointProbe, dir)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	var r probeResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return r
}

// The database URI holds no credential: the do_connect hook puts the
// current ones into each connection (the real-server tests show a
// password full of URI characters reaching PostgreSQL intact).
func TestEntrypointDatabaseURIHasNoCredentials(t *testing.T) {
	secret, _ := json.Marshal(map[string]string{"username": "ml flow", "password": dbPassword})
	r := probe(t, map[string]string{
		"DB_SECRET": string(secret), "DB_HOST": "db.cluster-x.eu-west-1.rds.amazonaws.com",
		"DB_NAME": "mlflow", "ARTIFACT_ROOT": "s3://artifacts/mlflow",
	})
	want := "postgresql+psycopg2://db.cluster-x.eu-west-1.rds.amazonaws.com:5432/mlflow"
	if r.URI != want {
		t.Fatalf("URI\n got %s\nwant %s", r.URI, want)
	}
	for v, args := range r.Args {
		if strings.Contains(strings.Join(toStrings(args), " "), "p%40ss") {
			t.Errorf("%s: the password is on the server's command line", v)
		}
	}
}

func TestEntrypointRejectsMissingSecretWithoutShowingIt(t *testing.T) {
	r := probe(t, map[string]string{"DB_HOST": "db", "ARTIFACT_ROOT": "s3://a"})
	if !strings.Contains(r.Error, "DB_CREDENTIALS_ARN is not set") {
		t.Fatalf("missing secret: %+v", r)
	}
	r = probe(t, map[string]string{"DB_SECRET": `{"username":"u","password":"` + "hunter2" + `"`, "DB_HOST": "db"})
	if !strings.Contains(r.Error, "not JSON") || strings.Contains(r.Error, "hunter2") {
		t.Fatalf("malformed secret: %q", r.Error)
	}
}

func TestEntrypointServerFlagsPerVersion(t *testing.T) {
	r := probe(t, map[string]string{
		"DB_SECRET": `{"username":"u","password":"p"}`, "DB_HOST": "db", "ARTIFACT_ROOT": "s3://artifacts/mlflow",
		"WORKERS": "4", "PORT": "5000",
		"ALLOWED_HOSTS":        "abc.execute-api.eu-west-1.amazonaws.com, mlflow.internal",
		"CORS_ALLOWED_ORIGINS": "https://main.d1.amplifyapp.com",
	})
	for v, raw := range r.Args {
		args := strings.Join(toStrings(raw), " ")
		for _, want := range []string{"server --host 0.0.0.0 --port 5000", "--default-artifact-root s3://artifacts/mlflow", "--workers 4"} {
			if !strings.Contains(args, want) {
				t.Errorf("%s: %q lacks %q", v, args, want)
			}
		}
		major3 := strings.HasPrefix(v, "3.")
		if strings.Contains(args, "--gunicorn-opts") == major3 {
			t.Errorf("%s: --gunicorn-opts must be on 2.x only: %s", v, args)
		}
		security := v == "3.5.0" || v == "3.18.0"
		// Each name in any letter case (see any_case), and with any port.
		hosts := "--allowed-hosts [aA][bB][cC].[eE][xX][eE][cC][uU][tT][eE]-[aA][pP][iI].[eE][uU]-[wW][eE][sS][tT]-1.[aA][mM][aA][zZ][oO][nN][aA][wW][sS].[cC][oO][mM*]," +
			"[aA][bB][cC].[eE][xX][eE][cC][uU][tT][eE]-[aA][pP][iI].[eE][uU]-[wW][eE][sS][tT]-1.[aA][mM][aA][zZ][oO][nN][aA][wW][sS].[cC][oO][mM]:*," +
			"[mM][lL][fF][lL][oO][wW].[iI][nN][tT][eE][rR][nN][aA][lL*],[mM][lL][fF][lL][oO][wW].[iI][nN][tT][eE][rR][nN][aA][lL]:*,localhost,localhost:*,127.0.0.1,127.0.0.1:*"
		if strings.Contains(args, hosts) != security ||
			strings.Contains(args, "--cors-allowed-origins https://main.d1.amplifyapp.com") != security {
			t.Errorf("%s: --allowed-hosts/--cors-allowed-origins must be on >= 3.5 only: %s", v, args)
		}
		if strings.Contains(args, "backend-store-uri") {
			t.Errorf("%s: the database URI is on the command line: %s", v, args)
		}
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
