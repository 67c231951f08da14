package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mlflowctl-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "mlflowctl")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=9.9.9 -X main.commit=c0ffee", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		panic("build mlflowctl: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBinary runs the real binary with no AWS settings from the environment.
func runBinary(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_ACCESS_KEY_ID=" + os.Getenv("AWS_ACCESS_KEY_ID"), "AWS_SECRET_ACCESS_KEY=" + os.Getenv("AWS_SECRET_ACCESS_KEY"),
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "AWS_EC2_METADATA_DISABLED=true"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		text string
	}{
		{[]string{"version"}, 0, "mlflowctl 9.9.9 (commit c0ffee"},
		{[]string{"--help"}, 0, "Getting started:"},
		{[]string{"no-such-command"}, 2, "unknown command"},
		{[]string{"whoami", "--endpoint-url", "http://127.0.0.1:1"}, 2, "--region"},
		{[]string{"config", "validate", "--config", "missing.yaml"}, 2, "config init"},
		{[]string{"whoami", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:1"}, 2, "no AWS credentials"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := runBinary(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.text) {
				t.Fatalf("exit %d (want %d), output:\n%s%s", code, tc.code, out, errOut)
			}
		})
	}
}

// A plain failure (AWS refusing the call: not bad input, not an
// interrupt) exits 1.
func TestFailureExitsOne(t *testing.T) {
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error><RequestId>1</RequestId></ErrorResponse>`))
	}))
	defer sts.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	out, errOut, code := runBinary(t, "whoami", "--region", "us-east-1", "--endpoint-url", sts.URL)
	if code != 1 || !strings.Contains(errOut, "AccessDenied") {
		t.Fatalf("exit %d (want 1):\n%s%s", code, out, errOut)
	}
}

type coded struct{ code int }

func (c coded) Error() string { return "coded" }
func (c coded) ExitCode() int { return c.code }

func TestExitCodeMapping(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		err  error
		want int
	}{
		{"ok", live, nil, 0},
		{"plain failure", live, errors.New("boom"), 1},
		{"typed usage error", live, coded{2}, 2},
		{"wrapped typed error", live, errors.Join(errors.New("ctx"), coded{2}), 2},
		{"interrupted", done, errors.New("stopped"), 130},
		{"canceled", live, context.Canceled, 130},
	}
	for _, tc := range cases {
		if got := exitCode(tc.ctx, tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// Issue 22 item 13: Ctrl-C ended with "Error: context canceled".
func TestInterruptIsNotReportedAsAnError(t *testing.T) {
	for err, want := range map[error]string{
		context.Canceled: "Interrupted.",
		fmt.Errorf("stack mlflow-server: %w", context.Canceled): "Interrupted: stack mlflow-server",
	} {
		if got := errorLine(130, err); got != want {
			t.Errorf("errorLine(%v) = %q, want %q", err, got, want)
		}
	}
	if got := errorLine(1, errors.New("boom")); got != "Error: boom" {
		t.Errorf("plain failure: %q", got)
	}
}

// With -o json a failed command still prints one JSON document on stdout
// (the error document), and the words on stderr; exit 2 before any change.
func TestJSONErrorDocument(t *testing.T) {
	out, errOut, code := runBinary(t, "whoami", "-o", "json", "--endpoint-url", "http://127.0.0.1:1")
	var doc struct {
		Error struct {
			Message  string `json:"message"`
			ExitCode int    `json:"exitCode"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 2 || doc.Error.ExitCode != 2 ||
		!strings.Contains(doc.Error.Message, "--region") || !strings.Contains(errOut, "Error: ") {
		t.Fatalf("exit %d, stdout %q (%v), stderr %q", code, out, err, errOut)
	}
}
