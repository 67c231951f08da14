package uihost

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// browser is headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: commands on fd 3, replies on fd 4, each
// a JSON message ending in NUL), attached to its one page.
type browser struct {
	w       io.Writer
	mu      sync.Mutex
	next    int
	waiters map[int]chan cdpReply
	session string
	stderr  *syncBuffer
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
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

// startBrowser runs Chromium in its own process group, confined to
// loopback, killed by its pid when the test ends.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin := findChromium(t)
	toBrowser, cmdIn, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmdOut, fromBrowser, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
		"--disable-background-networking", "--disable-component-update", "--metrics-recording-only",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--remote-debugging-pipe", "--user-data-dir="+t.TempDir(), "about:blank")
	b := &browser{w: cmdIn, waiters: map[int]chan cdpReply{}, stderr: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = b.stderr, b.stderr
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	_ = toBrowser.Close()
	_ = fromBrowser.Close()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = cmdIn.Close()
		_ = cmdOut.Close()
	})
	go b.read(cmdOut)
	b.attach(t)
	return b
}

func (b *browser) read(r io.Reader) {
	br := bufio.NewReader(r)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m struct {
			ID int `json:"id"`
			cdpReply
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == 0 {
			continue // an event
		}
		b.mu.Lock()
		ch := b.waiters[m.ID]
		delete(b.waiters, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m.cdpReply
		}
	}
}

func (b *browser) call(method string, params any, session string) (json.RawMessage, error) {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpReply, 1)
	b.waiters[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	data, _ := json.Marshal(msg)
	_, err := b.w.Write(append(data, 0))
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		return r.Result, nil
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("%s: no reply in 30s", method)
	}
}

func (b *browser) attach(t *testing.T) {
	var targets struct {
		TargetInfos []struct{ TargetID, Type string } `json:"targetInfos"`
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		raw, err := b.call("Target.getTargets", map[string]any{}, "")
		if err != nil {
			t.Fatalf("%v\nchromium: %s", err, tail(b.stderr.String(), 2000))
		}
		_ = json.Unmarshal(raw, &targets)
		for _, ti := range targets.TargetInfos {
			if ti.Type != "page" {
				continue
			}
			raw, err := b.call("Target.attachToTarget", map[string]any{"targetId": ti.TargetID, "flatten": true}, "")
			if err != nil {
				t.Fatal(err)
			}
			var out struct{ SessionID string }
			_ = json.Unmarshal(raw, &out)
			b.session = out.SessionID
			return
		}
	}
	t.Fatal("chromium opened no page")
}

func (b *browser) navigate(url string) error {
	_, err := b.call("Page.navigate", map[string]any{"url": url}, b.session)
	return err
}

// eval runs expression in the page and returns its JSON value.
func (b *browser) eval(expression string, out any) error {
	raw, err := b.call("Runtime.evaluate", map[string]any{"expression": expression, "returnByValue": true}, b.session)
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct{ Text string } `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return errors.New("page threw: " + r.ExceptionDetails.Text)
	}
	if len(r.Result.Value) == 0 {
		return errors.New("no value (the page is navigating)")
	}
	return json.Unmarshal(r.Result.Value, out)
}

// waitFor polls expression (which returns true when done) until it is
// true, stop returns an error, or ctx ends.
func (b *browser) waitFor(ctx context.Context, what, expression string, stop func() error) error {
	var last error
	for {
		var ok bool
		if err := b.eval(expression, &ok); err != nil {
			last = err
		} else if ok {
			return nil
		}
		if err := stop(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			var text string
			_ = b.eval(`location.href + "\n" + (document.body ? document.body.innerText.slice(0, 1500) : "<no body>")`, &text)
			if last == nil {
				last = errors.New("none")
			}
			return fmt.Errorf("%s: not seen before the deadline (last error: %w)\npage: %s", what, last, text)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
