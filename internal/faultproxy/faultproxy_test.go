package faultproxy

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// upstream answers every request with a fixed JSON body and counts them.
func upstream(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"User":{"Username":"alice@example.com","Enabled":true}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func call(t *testing.T, url string) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminCreateUser")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// Each fault kind does what the package says, and says whether the
// request reached the upstream.
func TestEachKind(t *testing.T) {
	up, reached := upstream(t)
	p, err := Start(up.URL, Options{Delay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cases := []struct {
		kind      Kind
		forwarded bool
		check     func(status int, body string, err error) bool
	}{
		{Status500, false, func(s int, b string, err error) bool { return err == nil && s == 500 }},
		{Status503, false, func(s int, b string, err error) bool { return err == nil && s == 503 }},
		{Throttle, false, func(s int, b string, err error) bool {
			return s == 400 && strings.Contains(b, "TooManyRequestsException")
		}},
		{Drop, false, func(_ int, _ string, err error) bool { return err != nil }},
		{LostReply, true, func(_ int, _ string, err error) bool { return err != nil }},
		{CutOff, true, func(s int, _ string, err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{Delay, true, func(s int, b string, err error) bool { return err == nil && strings.Contains(b, "alice") }},
		{Garble, true, func(s int, b string, err error) bool { return err == nil && s == 200 && !strings.Contains(b, "alice") }},
	}
	for _, c := range cases {
		before := reached.Load()
		p.Force(c.kind)
		s, b, err := call(t, p.URL)
		if !c.check(s, b, err) {
			t.Errorf("%s: status %d body %q err %v", c.kind, s, b, err)
		}
		if got := reached.Load() > before; got != c.forwarded {
			t.Errorf("%s: forwarded=%v, want %v", c.kind, got, c.forwarded)
		}
	}
	if st := p.Stats(); st.FaultCount() != len(cases) || st.ByOp["AdminCreateUser"] != len(cases) {
		t.Errorf("stats %+v", st)
	}
}

// The same seed injects the same faults; Max bounds them.
func TestSeededAndBounded(t *testing.T) {
	up, _ := upstream(t)
	run := func(seed uint64) []bool {
		p, _ := Start(up.URL, Options{Seed: seed, Rate: 0.5, Kinds: []Kind{Status500}, Max: 5})
		defer p.Close()
		var got []bool
		for range 30 {
			s, _, _ := call(t, p.URL)
			got = append(got, s == 500)
		}
		if n := p.Stats().FaultCount(); n != 5 {
			t.Errorf("seed %d: %d faults, want the bound 5", seed, n)
		}
		return got
	}
	a, b := run(7), run(7)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 7 gave different faults: %v vs %v", a, b)
		}
	}
}
