// Package cognitotest is a stand-in for a Cognito user pool domain's OAuth
// endpoints, for tests: /oauth2/authorize, /oauth2/token,
// /oauth2/revoke and the pool's /.well-known/jwks.json.
//
// What it models: authorization code + PKCE S256 (the verifier is checked
// against the challenge, the redirect_uri against the registered callback
// URLs exactly and against the one of the authorize request), single-use
// codes, refresh tokens, revocation, RS256 tokens with Cognito's claims
// (iss, token_use, client_id / aud, username, cognito:groups, exp).
// What it does not model: the managed-login pages (the authorize endpoint
// signs in the user named by SignInAs at once), MFA, scopes beyond echoing,
// rate limits, refresh-token rotation, and the real endpoint's error texts.
// https://docs.aws.amazon.com/cognito/latest/developerguide/federation-endpoints.html
package cognitotest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Server is the stand-in.
type Server struct {
	*httptest.Server
	PoolID, ClientID string
	Callbacks        []string
	// TokenTTL is the access and ID token lifetime (default 1 hour).
	TokenTTL time.Duration

	key *rsa.PrivateKey
	mu  sync.Mutex
	// signInAs is the user the next authorize request signs in.
	signInAs string
	groups   map[string][]string
	codes    map[string]grant
	refresh  map[string]string // refresh token -> username
	// Revoked lists revoked refresh tokens; Requests counts calls per path.
	Revoked  []string
	Requests map[string]int
}

type grant struct {
	user, challenge, redirectURI, clientID string
}

// New starts the stand-in on 127.0.0.1 over HTTP.
func New(poolID, clientID string, callbacks []string) *Server {
	s := build(poolID, clientID, callbacks)
	s.Start()
	return s
}

// NewTLS starts it over HTTPS (Cognito's domain is https://); s.Client()
// trusts its certificate.
func NewTLS(poolID, clientID string, callbacks []string) *Server {
	s := build(poolID, clientID, callbacks)
	s.StartTLS()
	return s
}

func build(poolID, clientID string, callbacks []string) *Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	s := &Server{PoolID: poolID, ClientID: clientID, Callbacks: callbacks, TokenTTL: time.Hour, key: key,
		groups: map[string][]string{}, codes: map[string]grant{}, refresh: map[string]string{}, Requests: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth2/authorize", s.authorize)
	mux.HandleFunc("/oauth2/token", s.token)
	mux.HandleFunc("/oauth2/revoke", s.revoke)
	mux.HandleFunc("/.well-known/jwks.json", s.jwks)
	s.Server = httptest.NewUnstartedServer(mux)
	return s
}

// AddUser makes a user in some groups.
func (s *Server) AddUser(name string, groups ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[name] = groups
}

// SignInAs sets who the managed login signs in next.
func (s *Server) SignInAs(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signInAs = name
}

// Issuer is the iss claim, as Cognito derives it from the pool id.
func (s *Server) Issuer() string {
	region := s.PoolID[:indexUnderscore(s.PoolID)]
	return fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", region, s.PoolID)
}

func indexUnderscore(s string) int {
	for i, c := range s {
		if c == '_' {
			return i
		}
	}
	return len(s)
}

func (s *Server) count(r *http.Request) {
	s.mu.Lock()
	s.Requests[r.URL.Path]++
	s.mu.Unlock()
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	s.count(r)
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	switch {
	case q.Get("client_id") != s.ClientID:
		http.Error(w, "client_id", http.StatusBadRequest)
		return
	case !slices.Contains(s.Callbacks, redirect):
		// Cognito shows an error page for a redirect_uri that is not a
		// registered callback URL (exact match), and never redirects.
		http.Error(w, "redirect_mismatch", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "invalid_request: code with PKCE S256 only", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	user := s.signInAs
	code := randomID()
	s.codes[code] = grant{user: user, challenge: q.Get("code_challenge"), redirectURI: redirect, clientID: s.ClientID}
	s.mu.Unlock()
	back := url.Values{"code": {code}}
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	http.Redirect(w, r, redirect+"?"+back.Encode(), http.StatusFound)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.count(r)
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	f := r.PostForm
	if f.Get("client_id") != s.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_client")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var user string
	var refresh string
	switch f.Get("grant_type") {
	case "authorization_code":
		g, ok := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // single use
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		if !ok || g.redirectURI != f.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		user = g.user
		refresh = randomID()
		s.refresh[refresh] = user
	case "refresh_token":
		u, ok := s.refresh[f.Get("refresh_token")]
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		user = u
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	out := map[string]any{
		"access_token": s.sign(user, "access"),
		"id_token":     s.sign(user, "id"),
		"token_type":   "Bearer",
		"expires_in":   int(s.TokenTTL / time.Second),
	}
	if refresh != "" {
		out["refresh_token"] = refresh
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	s.count(r)
	if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("client_id") != s.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := r.PostForm.Get("token")
	delete(s.refresh, tok)
	s.Revoked = append(s.Revoked, tok)
	w.WriteHeader(http.StatusOK)
}

// Token signs a token for a user directly (no sign-in), e.g. for tests
// that need one without the browser flow.
func (s *Server) Token(user, use string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sign(user, use)
}

func (s *Server) sign(user, use string) string {
	now := time.Now()
	claims := map[string]any{
		"iss": s.Issuer(), "token_use": use, "exp": now.Add(s.TokenTTL).Unix(), "iat": now.Unix(),
		"auth_time": now.Unix(), "sub": "sub-" + user,
	}
	if g := s.groups[user]; len(g) > 0 {
		claims["cognito:groups"] = g
	}
	if use == "id" {
		claims["aud"] = s.ClientID
		claims["cognito:username"] = user
		claims["email"] = user
	} else {
		claims["client_id"] = s.ClientID
		claims["username"] = user
		claims["scope"] = "openid email profile"
	}
	head, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	body, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(head) + "." + base64.RawURLEncoding.EncodeToString(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	s.count(r)
	pub := s.key.PublicKey
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

func randomID() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
