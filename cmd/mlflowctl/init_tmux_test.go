package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// TestInitWizardInTmux builds the real binary, runs `mlflowctl init` in a
// tmux pane on a private tmux server, takes every default with Enter,
// and checks the written file. The server is killed at the end.
func TestInitWizardInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is missing; CI must have it (apt-get install tmux)")
		}
		t.Skip("tmux is not installed")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mlflowctl")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	tm := &tmux{t: t, ctx: ctx, socket: filepath.Join(dir, "tmux.sock")}
	// No AWS credentials or config: every look-up fails soft.
	cmdline := fmt.Sprintf("env -u AWS_PROFILE -u AWS_REGION -u AWS_DEFAULT_REGION -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "+
		"HOME=%s AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true "+
		"%s init; echo EXIT=$?; sleep 600", dir, bin)
	tm.run("new-session", "-d", "-s", "smoke", "-x", "120", "-y", "40", "-c", work, cmdline)
	t.Cleanup(func() { tm.run("kill-server") })

	for i := 1; i <= 10; i++ {
		tm.waitFor(fmt.Sprintf("%d/10 · ", i), "enter next") // the keys line shows once the form is up
		tm.run("send-keys", "-t", "smoke", "Enter")
	}
	summary := tm.waitFor("Write mlflowctl.yaml?")
	t.Logf("summary screen:\n%s", summary)
	for _, want := range []string{"Region          us-east-1", "Estimated cost while idle: ~$", "stacks mlflow-bootstrap", "-server", "-ui"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	tm.run("send-keys", "-t", "smoke", "Enter")
	tm.waitFor("✓ Wrote mlflowctl.yaml", "Run `mlflowctl up` now?")
	tm.run("send-keys", "-t", "smoke", "Enter") // the default: not now
	final := tm.waitFor("EXIT=")
	if !strings.Contains(final, "EXIT=0") || !strings.Contains(final, "Deploy later with `mlflowctl up`.") {
		t.Fatalf("wizard did not finish cleanly:\n%s", final)
	}
	got, err := config.LoadValid(config.LoadOptions{Path: filepath.Join(work, "mlflowctl.yaml"), Required: true})
	if err != nil {
		t.Fatal(err)
	}
	want := config.Defaults()
	want.Region = "us-east-1"
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("written config\n%+v\nwant the defaults in us-east-1\n%+v", got, want)
	}
}

type tmux struct {
	t      *testing.T
	ctx    context.Context
	socket string
}

func (x *tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.CommandContext(x.ctx, "tmux", append([]string{"-S", x.socket}, args...)...).CombinedOutput()
	if err != nil && args[0] != "kill-server" {
		x.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// waitFor polls the pane until it shows text; the deadline turns a hang
// into a failure with the last screen.
func (x *tmux) waitFor(texts ...string) string {
	x.t.Helper()
	var pane string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		pane = x.run("capture-pane", "-p", "-t", "smoke")
		if containsAll(pane, texts) {
			return pane
		}
		time.Sleep(100 * time.Millisecond)
	}
	x.t.Fatalf("the pane never showed %q; last screen:\n%s", texts, pane)
	return ""
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
