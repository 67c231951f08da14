// Package faultproxy is an HTTP proxy for tests that sits in front of an
// AWS emulator (moto_server) and injects the faults a real network and a
// busy AWS produce: 500 and 503 answers, throttling, connections dropped
// before the request is forwarded, lost replies (the request reaches the
// emulator, the answer never comes back), bodies cut off mid-way, slow
// answers and garbled bodies. Faults are drawn from a seeded random
// source, at a given rate, up to a bound, so a run can be replayed.
//
// Point an SDK client's endpoint at Proxy.URL. The proxy learns each
// call's operation from the query protocol's Action parameter
// (CloudFormation) or the JSON protocol's X-Amz-Target header (Cognito),
// and counts calls, SDK retries (the amz-sdk-request attempt header) and
// faults per operation.
package faultproxy

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Kind is one sort of fault.
type Kind string

const (
	Status500 Kind = "500"        // an InternalFailure answer, not forwarded
	Status503 Kind = "503"        // a ServiceUnavailable answer, not forwarded
	Throttle  Kind = "throttle"   // the service's throttling error, not forwarded
	Drop      Kind = "drop"       // the connection closes before forwarding
	LostReply Kind = "lost-reply" // forwarded; the connection closes instead of answering
	CutOff    Kind = "cut-off"    // forwarded; half the body, then the connection closes
	Delay     Kind = "delay"      // forwarded after Options.Delay
	Garble    Kind = "garble"     // forwarded; the body replaced by bytes of the same length
)

// Kinds is every fault kind.
var Kinds = []Kind{Status500, Status503, Throttle, Drop, LostReply, CutOff, Delay, Garble}

// Options choose the faults.
type Options struct {
	Seed uint64
	// Rate is the chance (0..1) that a matching request gets a fault.
	Rate float64
	// Kinds to pick from, uniformly.
	Kinds []Kind
	// Max bounds the number of faults injected (0: no bound).
	Max int
	// Match limits faults to these operations (empty: every operation).
	Match []string
	// Delay is how long a Delay fault holds the request (default 2s).
	// It ends early when the client gives up.
	Delay time.Duration
}

// Stats are what the proxy saw.
type Stats struct {
	Requests  int            // HTTP attempts
	Calls     int            // first attempts: the SDK calls made
	Retries   int            // later attempts
	Faults    map[Kind]int   // injected, by kind
	ByOp      map[string]int // attempts by operation
	Abandoned int            // Delay faults the client gave up on
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	URL string

	srv      *httptest.Server
	upstream *url.URL
	opts     Options

	mu    sync.Mutex
	rng   *rand.Rand
	stats Stats
	plan  []Kind // faults forced on the next matching requests, in order
}

// Start runs a proxy to upstream on 127.0.0.1; call Close when done.
func Start(upstream string, o Options) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	if o.Delay <= 0 {
		o.Delay = 2 * time.Second
	}
	p := &Proxy{upstream: u, opts: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		stats: Stats{Faults: map[Kind]int{}, ByOp: map[string]int{}}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.CloseClientConnections(); p.srv.Close() }

// Force makes the next matching requests get these faults, in order,
// before any random ones (and regardless of Rate and Max).
func (p *Proxy) Force(kinds ...Kind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan = append(p.plan, kinds...)
}

// Stats returns a copy of the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Faults = map[Kind]int{}
	for k, v := range p.stats.Faults {
		s.Faults[k] = v
	}
	s.ByOp = map[string]int{}
	for k, v := range p.stats.ByOp {
		s.ByOp[k] = v
	}
	return s
}

// FaultCount is the number of faults injected so far.
func (s Stats) FaultCount() int {
	n := 0
	for _, v := range s.Faults {
		n += v
	}
	return n
}

// operation names the AWS operation of a request.
func operation(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		_, op, _ := strings.Cut(t, ".")
		return op
	}
	if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
		return v.Get("Action")
	}
	return r.Method + " " + r.URL.Path
}

// choose decides the fault for one request ("" for none).
func (p *Proxy) choose(op string, attempt string) Kind {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Requests++
	p.stats.ByOp[op]++
	if attempt == "" || strings.HasPrefix(attempt, "attempt=1;") {
		p.stats.Calls++
	} else {
		p.stats.Retries++
	}
	if len(p.opts.Match) > 0 && !slices.Contains(p.opts.Match, op) {
		return ""
	}
	var k Kind
	switch {
	case len(p.plan) > 0:
		k, p.plan = p.plan[0], p.plan[1:]
	case p.opts.Rate <= 0 || len(p.opts.Kinds) == 0:
		return ""
	case p.opts.Max > 0 && p.stats.FaultCount() >= p.opts.Max:
		return ""
	case p.rng.Float64() >= p.opts.Rate:
		return ""
	default:
		k = p.opts.Kinds[p.rng.IntN(len(p.opts.Kinds))]
	}
	p.stats.Faults[k]++
	return k
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	op := operation(r, body)
	kind := p.choose(op, r.Header.Get("Amz-Sdk-Request"))
	switch kind {
	case Status500, Status503, Throttle:
		writeError(w, r, kind)
		return
	case Drop:
		hangUp(w)
		return
	case Delay:
		select {
		case <-time.After(p.opts.Delay):
		case <-r.Context().Done():
			p.mu.Lock()
			p.stats.Abandoned++
			p.mu.Unlock()
			return
		}
	}
	resp, err := p.forward(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		hangUp(w)
		return
	}
	switch kind {
	case LostReply:
		hangUp(w)
		return
	case Garble:
		out = garble(out)
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(out)))
	w.WriteHeader(resp.StatusCode)
	if kind == CutOff {
		_, _ = w.Write(out[:len(out)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		hangUp(w)
		return
	}
	_, _ = w.Write(out)
}

func (p *Proxy) forward(r *http.Request, body []byte) (*http.Response, error) {
	u := *p.upstream
	u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	req.Host = r.Host
	return http.DefaultTransport.RoundTrip(req)
}

// hangUp closes the client's connection without a (further) answer.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("faultproxy: the response writer cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// writeError answers as the service would: JSON protocol errors carry
// their code in a header and __type; query protocol errors are XML.
func writeError(w http.ResponseWriter, r *http.Request, k Kind) {
	status, code, msg := http.StatusInternalServerError, "InternalFailure", "injected internal failure"
	switch k {
	case Status503:
		status, code, msg = http.StatusServiceUnavailable, "ServiceUnavailable", "injected service unavailable"
	case Throttle:
		status, code, msg = http.StatusBadRequest, "Throttling", "Rate exceeded"
		if r.Header.Get("X-Amz-Target") != "" {
			code = "TooManyRequestsException"
		}
	}
	if r.Header.Get("X-Amz-Target") != "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<ErrorResponse><Error><Type>Receiver</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>faultproxy</RequestId></ErrorResponse>`, code, msg)
}

// garble keeps the length and replaces the content with bytes no XML or
// JSON decoder accepts.
func garble(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range out {
		out[i] = "\x00<{\"]>"[i%6]
	}
	return out
}
