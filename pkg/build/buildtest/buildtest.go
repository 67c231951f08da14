// Package buildtest helps tests run image builds against moto_server: a
// loopback proxy in front of moto that records CodeBuild requests, lets a
// test act when a build starts (write its log, as CodeBuild would), and
// turns moto's CodeBuild timestamps (ISO-8601 strings) into the epoch
// seconds the AWS JSON protocol sends, which the Go SDK requires.
package buildtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one recorded request to a JSON-protocol service.
type Call struct {
	Target string // X-Amz-Target, e.g. CodeBuild_20161006.StartBuild
	Body   []byte
}

// Proxy forwards to moto and records every X-Amz-Target call.
type Proxy struct {
	URL string
	// OnStartBuild runs after moto answered a StartBuild, with the build ID.
	OnStartBuild func(buildID string)

	mu    sync.Mutex
	calls []Call
}

// Start runs the proxy on 127.0.0.1 until the test ends.
func Start(t testing.TB, motoURL string) *Proxy {
	t.Helper()
	target, err := url.Parse(motoURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = p.fixResponse
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tgt := r.Header.Get("X-Amz-Target"); tgt != "" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			p.mu.Lock()
			p.calls = append(p.calls, Call{Target: tgt, Body: body})
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Calls returns the recorded calls whose target ends with op (".StartBuild").
func (p *Proxy) Calls(op string) []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Call
	for _, c := range p.calls {
		if strings.HasSuffix(c.Target, op) {
			out = append(out, c)
		}
	}
	return out
}

func (p *Proxy) fixResponse(resp *http.Response) error {
	tgt := resp.Request.Header.Get("X-Amz-Target")
	if !strings.HasPrefix(tgt, "CodeBuild_") || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	var doc any
	if json.Unmarshal(body, &doc) == nil {
		doc = epochTimes(doc, "")
		body, _ = json.Marshal(doc)
		if strings.HasSuffix(tgt, ".StartBuild") && p.OnStartBuild != nil {
			if m, ok := doc.(map[string]any); ok {
				if b, ok := m["build"].(map[string]any); ok {
					id, _ := b["id"].(string)
					p.OnStartBuild(id)
				}
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// epochTimes converts timestamp strings under *Time, created and
// lastModified keys into epoch seconds.
func epochTimes(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = epochTimes(val, k)
		}
	case []any:
		for i, val := range x {
			x[i] = epochTimes(val, key)
		}
	case string:
		if strings.HasSuffix(key, "Time") || key == "created" || key == "lastModified" {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000", "2006-01-02T15:04:05"} {
				if ts, err := time.Parse(layout, x); err == nil {
					return float64(ts.UnixMilli()) / 1000
				}
			}
		}
	}
	return v
}
