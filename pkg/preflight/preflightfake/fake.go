// Package preflightfake is an HTTP stand-in, in front of moto_server, for
// the read-only AWS APIs preflight calls that moto 5.2.1 lacks. It speaks
// each service's wire protocol, so the real aws-sdk-go-v2 clients run:
//
//   - Service Quotas GetServiceQuota / GetAWSDefaultServiceQuota (JSON 1.1)
//     for the quotas a test sets; moto serves only the vpc service code.
//     Not modelled: pagination, quota history, request status.
//   - RDS DescribeDBEngineVersions (query protocol, XML) for the versions a
//     test sets, with ServerlessV2FeaturesSupport; moto lacks the call.
//     Not modelled: filters, DefaultOnly, pagination.
//   - Bedrock GetFoundationModelAvailability (REST JSON) for the models a
//     test sets; moto's bedrock backend lacks it. Not modelled: throttling.
//   - SageMaker ListUserProfiles (JSON 1.1) for profiles a test seeds;
//     moto lacks it. DescribeDomain goes to moto, which keeps AuthMode.
//   - Refuse makes a JSON-protocol operation answer AccessDeniedException.
//   - S3 HeadBucket answers 403 for names a test marks as another
//     account's, as S3 does; moto answers 200 for any account's bucket.
//
// Every other request goes to moto. The fake records the operation of
// every request, so a test can prove a run only read.
package preflightfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// EngineVersion is an Aurora PostgreSQL version RDS offers.
type EngineVersion struct {
	Version string
	// MinACU and MaxACU are ServerlessV2FeaturesSupport; zero MaxACU
	// leaves the field out (an older version).
	MinACU, MaxACU float64
}

// Availability is GetFoundationModelAvailability's answer for a model.
type Availability struct {
	Region, Entitlement, Agreement, Authorization string
}

// Granted is a model the account may invoke.
var Granted = Availability{Region: "AVAILABLE", Entitlement: "AVAILABLE", Agreement: "AVAILABLE", Authorization: "AUTHORIZED"}

// Server is the running fake.
type Server struct {
	URL string

	mu             sync.Mutex
	srv            *httptest.Server
	proxy          *httputil.ReverseProxy
	quotas         map[string]float64 // "service/code"
	engines        []EngineVersion
	models         map[string]Availability
	profiles       map[string][]string // domain → names
	foreignBuckets map[string]bool
	refused        map[string]bool // "service Operation"
	ops            []string
}

// New starts the fake on 127.0.0.1 in front of upstream (moto).
func New(upstream string) *Server {
	u, _ := url.Parse(upstream)
	s := &Server{proxy: httputil.NewSingleHostReverseProxy(u), quotas: map[string]float64{},
		models: map[string]Availability{}, profiles: map[string][]string{}, foreignBuckets: map[string]bool{}, refused: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// SetQuota sets an applied quota value.
func (s *Server) SetQuota(service, code string, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quotas[service+"/"+code] = v
}

// AddEngineVersion offers an Aurora PostgreSQL version.
func (s *Server) AddEngineVersion(v EngineVersion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.engines = append(s.engines, v)
}

// SetModel sets a model's availability.
func (s *Server) SetModel(id string, a Availability) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models[id] = a
}

// AddProfile seeds a Studio user profile in a domain.
func (s *Server) AddProfile(domain, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[domain] = append(s.profiles[domain], name)
}

// ForeignBucket marks a bucket name as held by another account.
func (s *Server) ForeignBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.foreignBuckets[name] = true
}

// Refuse answers AccessDeniedException to a JSON-protocol operation
// ("servicequotas GetServiceQuota"), as IAM does for a caller without the
// permission.
func (s *Server) Refuse(serviceOp string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[serviceOp] = true
}

// Ops lists "service Operation" for every request, in order.
func (s *Server) Ops() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ops...)
}

var scopeRe = regexp.MustCompile(`Credential=[^/]+/\d+/([^/]+)/([^/]+)/aws4_request`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	service := ""
	if m := scopeRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		service = m[2]
	}
	op := operation(r, body)
	s.mu.Lock()
	s.ops = append(s.ops, service+" "+op)
	s.mu.Unlock()
	if s.handle(w, r, service, op, body) {
		return
	}
	r.ContentLength = int64(len(body))
	s.proxy.ServeHTTP(w, r)
}

// operation names the request's API operation: the JSON target, the
// query Action, or the REST method and path.
func operation(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		_, op, _ := strings.Cut(t, ".")
		return op
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			return v.Get("Action")
		}
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	return r.Method + " " + r.URL.Path
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, service, op string, body []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.refused[service+" "+op]:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "AccessDeniedException", "Message": "User is not authorized to perform: " + service + ":" + op})
		return true
	case service == "servicequotas" && (op == "GetServiceQuota" || op == "GetAWSDefaultServiceQuota"):
		return s.quota(w, body)
	case service == "rds" && op == "DescribeDBEngineVersions":
		s.engineVersions(w, body)
		return true
	case service == "bedrock" && strings.HasPrefix(r.URL.Path, "/foundation-model-availability/"):
		s.availability(w, strings.TrimPrefix(r.URL.Path, "/foundation-model-availability/"))
		return true
	case service == "sagemaker" && op == "ListUserProfiles":
		s.listProfiles(w, body)
		return true
	case service == "s3" && r.Method == http.MethodHead && s.foreignBuckets[strings.Trim(r.URL.Path, "/")]:
		w.WriteHeader(http.StatusForbidden)
		return true
	}
	return false
}

func (s *Server) quota(w http.ResponseWriter, body []byte) bool {
	var in struct{ ServiceCode, QuotaCode string }
	_ = json.Unmarshal(body, &in)
	v, ok := s.quotas[in.ServiceCode+"/"+in.QuotaCode]
	if !ok {
		return false
	}
	writeJSON(w, map[string]any{"Quota": map[string]any{"ServiceCode": in.ServiceCode, "QuotaCode": in.QuotaCode, "Value": v}})
	return true
}

func (s *Server) engineVersions(w http.ResponseWriter, body []byte) {
	q, _ := url.ParseQuery(string(body))
	var b strings.Builder
	b.WriteString(`<DescribeDBEngineVersionsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBEngineVersionsResult><DBEngineVersions>`)
	for _, v := range s.engines {
		if q.Get("Engine") != "" && q.Get("Engine") != "aurora-postgresql" {
			continue
		}
		if want := q.Get("EngineVersion"); want != "" && want != v.Version {
			continue
		}
		fmt.Fprintf(&b, `<DBEngineVersion><Engine>aurora-postgresql</Engine><EngineVersion>%s</EngineVersion>`, v.Version)
		if v.MaxACU > 0 {
			fmt.Fprintf(&b, `<ServerlessV2FeaturesSupport><MinCapacity>%g</MinCapacity><MaxCapacity>%g</MaxCapacity></ServerlessV2FeaturesSupport>`, v.MinACU, v.MaxACU)
		}
		b.WriteString(`</DBEngineVersion>`)
	}
	b.WriteString(`</DBEngineVersions></DescribeDBEngineVersionsResult><ResponseMetadata><RequestId>preflightfake</RequestId></ResponseMetadata></DescribeDBEngineVersionsResponse>`)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, b.String())
}

func (s *Server) availability(w http.ResponseWriter, rawID string) {
	id, _ := url.PathUnescape(rawID)
	a, ok := s.models[id]
	if !ok {
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": "The model " + id + " does not exist."})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"modelId": id, "regionAvailability": a.Region, "entitlementAvailability": a.Entitlement,
		"agreementAvailability": map[string]string{"status": a.Agreement}, "authorizationStatus": a.Authorization,
	})
}

func (s *Server) listProfiles(w http.ResponseWriter, body []byte) {
	var in struct{ DomainIdEquals string }
	_ = json.Unmarshal(body, &in)
	out := []map[string]string{}
	for _, n := range s.profiles[in.DomainIdEquals] {
		out = append(out, map[string]string{"DomainId": in.DomainIdEquals, "UserProfileName": n, "Status": "InService"})
	}
	writeJSON(w, map[string]any{"UserProfiles": out})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}
