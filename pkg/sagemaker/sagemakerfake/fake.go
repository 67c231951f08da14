// Package sagemakerfake is an HTTP fake of the SageMaker API's Studio
// operations that moto_server lacks (user profiles, spaces, apps), plus
// the domain calls teardown needs. It speaks the AWS JSON 1.1 protocol
// (X-Amz-Target: SageMaker.<Operation>) so the real aws-sdk-go-v2
// sagemaker client runs against it. Apps move InService → Deleting →
// Deleted over time on a clock the test controls; spaces and profiles
// refuse deletion while they still have apps (and, for profiles, spaces);
// an app can be made stuck in Deleting. Requests for other services or
// operations are passed to an upstream (moto_server) when one is set.
package sagemakerfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure the fake.
type Options struct {
	// Now is the fake's clock (default time.Now).
	Now func() time.Time
	// How long each kind stays Deleting before it is Deleted or gone.
	AppDeleteTime, SpaceDeleteTime, ProfileDeleteTime time.Duration
	// PageSize for List* calls (default 2, so paginators are exercised).
	PageSize int
	// Upstream receives every request the fake does not handle.
	Upstream string
}

// Server is the running fake; it listens on 127.0.0.1.
type Server struct {
	URL string

	opts    Options
	srv     *httptest.Server
	proxy   *httputil.ReverseProxy
	mu      sync.Mutex
	domains map[string]*domain
	calls   map[string]int
	log     []string
}

// Domain describes a domain to add.
type Domain struct {
	ID, Name, HomeEFS, VpcID string
}

type domain struct {
	Domain
	profiles map[string]*resource
	spaces   map[string]*space
	apps     []*app
}

type resource struct {
	status string
	goneAt time.Time
}

type space struct {
	resource
	owner string
}

type app struct {
	Type, Name, Profile, Space string
	status                     string
	deletedAt                  time.Time
	stuck                      bool
}

// New starts a fake on 127.0.0.1.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PageSize <= 0 {
		o.PageSize = 2
	}
	s := &Server{opts: o, domains: map[string]*domain{}, calls: map[string]int{}}
	if o.Upstream != "" {
		u, err := url.Parse(o.Upstream)
		if err == nil {
			s.proxy = httputil.NewSingleHostReverseProxy(u)
		}
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AddDomain adds an InService domain.
func (s *Server) AddDomain(d Domain) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.Name == "" {
		d.Name = d.ID
	}
	s.domains[d.ID] = &domain{Domain: d, profiles: map[string]*resource{}, spaces: map[string]*space{}}
}

// AddProfile adds an InService user profile.
func (s *Server) AddProfile(domainID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.domains[domainID].profiles[name] = &resource{status: "InService"}
}

// AddSpace adds an InService private space owned by a profile.
func (s *Server) AddSpace(domainID, name, owner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.domains[domainID].spaces[name] = &space{resource: resource{status: "InService"}, owner: owner}
}

// App names an app to add; set Profile or Space.
type App struct {
	Type, Name, Profile, Space, Status string
}

// AddApp adds an app (InService unless Status says otherwise).
func (s *Server) AddApp(domainID string, a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Status == "" {
		a.Status = "InService"
	}
	d := s.domains[domainID]
	d.apps = append(d.apps, &app{Type: a.Type, Name: a.Name, Profile: a.Profile, Space: a.Space, status: a.Status,
		deletedAt: s.opts.Now().Add(s.opts.AppDeleteTime)})
}

// Stick keeps an app in Deleting forever once it is deleted.
func (s *Server) Stick(domainID, appName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.domains[domainID].apps {
		if a.Name == appName {
			a.stuck = true
		}
	}
}

// Release lets a stuck app finish deleting.
func (s *Server) Release(domainID, appName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.domains[domainID].apps {
		if a.Name == appName {
			a.stuck = false
		}
	}
}

// Calls is how many times an operation was called.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Log lists "Op key" for every mutating call, in order.
func (s *Server) Log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// Profiles lists the profiles that still exist in a domain.
func (s *Server) Profiles(domainID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.domains[domainID]
	if d == nil {
		return nil
	}
	s.settle(d)
	return sortedKeys(d.profiles)
}

// Spaces lists the spaces that still exist in a domain.
func (s *Server) Spaces(domainID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.domains[domainID]
	if d == nil {
		return nil
	}
	s.settle(d)
	return sortedKeys(d.spaces)
}

// AppStatus is the status of an app now.
func (s *Server) AppStatus(domainID, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.domains[domainID]
	s.settle(d)
	for _, a := range d.apps {
		if a.Name == name {
			return a.status
		}
	}
	return ""
}

// HasDomain says whether the domain still exists.
func (s *Server) HasDomain(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.domains[id] != nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// settle applies the transitions that are due at the current time.
func (s *Server) settle(d *domain) {
	now := s.opts.Now()
	for _, a := range d.apps {
		if a.status == "Deleting" && !a.stuck && !now.Before(a.deletedAt) {
			a.status = "Deleted"
		}
	}
	for name, sp := range d.spaces {
		if sp.status == "Deleting" && !now.Before(sp.goneAt) {
			delete(d.spaces, name)
		}
	}
	for name, p := range d.profiles {
		if p.status == "Deleting" && !now.Before(p.goneAt) {
			delete(d.profiles, name)
		}
	}
}

type apiError struct {
	code, msg string
}

func errf(code, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

const targetPrefix = "SageMaker."

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	handler := handlers[op]
	if !ok || handler == nil {
		if s.proxy != nil {
			s.proxy.ServeHTTP(w, r)
			return
		}
		writeErr(w, errf("UnknownOperationException", "the SageMaker fake does not handle %q", r.Header.Get("X-Amz-Target")))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeErr(w, errf("SerializationException", "%v", err))
		return
	}
	in := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeErr(w, errf("SerializationException", "%v", err))
			return
		}
	}
	s.mu.Lock()
	s.calls[op]++
	out, aerr := handler(s, input(in))
	s.mu.Unlock()
	if aerr != nil {
		writeErr(w, aerr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func writeErr(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "Message": e.msg})
}

type input map[string]any

func (in input) str(k string) string {
	v, _ := in[k].(string)
	return v
}

func (s *Server) domain(in input, key string) (*domain, *apiError) {
	id := in.str(key)
	d := s.domains[id]
	if d == nil {
		return nil, errf("ResourceNotFound", "Domain %s not found", id)
	}
	s.settle(d)
	return d, nil
}

// page cuts a sorted list for NextToken/MaxResults.
func (s *Server) page(in input, n int) (from, to int, next string) {
	from, _ = strconv.Atoi(in.str("NextToken"))
	size := s.opts.PageSize
	if m, ok := in["MaxResults"].(float64); ok && int(m) < size {
		size = int(m)
	}
	to = min(from+size, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next
}
