// Package buildtest helps tests run image builds against moto_server: a
// loopback proxy in front of moto that records JSON-protocol requests (moto
// keeps no StartBuild overrides, so tests read them here) and lets a test
// act when a build starts (write its log, as CodeBuild would).
package buildtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
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
	rp.ModifyResponse = p.afterResponse
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

func (p *Proxy) afterResponse(resp *http.Response) error {
	tgt := resp.Request.Header.Get("X-Amz-Target")
	if !strings.HasSuffix(tgt, ".StartBuild") || resp.StatusCode != http.StatusOK || p.OnStartBuild == nil {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var out struct {
		Build struct {
			ID string `json:"id"`
		} `json:"build"`
	}
	if json.Unmarshal(body, &out) == nil && out.Build.ID != "" {
		p.OnStartBuild(out.Build.ID)
	}
	return nil
}
