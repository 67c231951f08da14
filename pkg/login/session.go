package login

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// renewBefore is how long before expiry a token is renewed, so a token
// handed to a program does not expire on its first request.
const renewBefore = 5 * time.Minute

// ErrNotLoggedIn means no usable sign-in: none kept, or its refresh token
// no longer works.
var ErrNotLoggedIn = errors.New("not signed in")

// Client returns the Cognito client of a session.
func (s Session) Client(hc *http.Client, now func() time.Time) *Client {
	return &Client{Domain: s.AuthDomain, ClientID: s.ClientID, HTTP: hc, Now: now}
}

// Bearer is the token the deployment's authorizer accepts.
func (s Session) Bearer() string {
	if s.TokenUse == "id" {
		return s.IDToken
	}
	return s.AccessToken
}

// Valid returns the deployment's session with a token valid for at
// least renewBefore, refreshing and saving it when needed.
func Valid(ctx context.Context, st Store, name string, hc *http.Client, now func() time.Time) (Session, error) {
	if now == nil {
		now = time.Now
	}
	sess, found, err := st.Load(name)
	if err != nil {
		return Session{}, err
	}
	if !found {
		return Session{}, fmt.Errorf("%w to deployment %q", ErrNotLoggedIn, name)
	}
	if now().Add(renewBefore).Before(sess.Expiry) && sess.Bearer() != "" {
		return sess, nil
	}
	if sess.RefreshToken == "" {
		return Session{}, fmt.Errorf("%w to deployment %q: the token expired and there is no refresh token", ErrNotLoggedIn, name)
	}
	t, err := sess.Client(hc, now).Refresh(ctx, sess.RefreshToken)
	if errors.Is(err, ErrRefreshRefused) {
		return Session{}, fmt.Errorf("%w to deployment %q: %w", ErrNotLoggedIn, name, err)
	}
	if err != nil {
		return Session{}, fmt.Errorf("renew the token: %w", err)
	}
	sess.Tokens = t
	if _, err := st.Save(sess); err != nil {
		return Session{}, fmt.Errorf("keep the renewed token: %w", err)
	}
	return sess, nil
}

// Identity is who a token names, read without verifying it (for display
// only: the API's authorizer is what verifies).
type Identity struct {
	Username string   `json:"username"`
	Email    string   `json:"email,omitempty"`
	Groups   []string `json:"groups"`
}

// IdentityOf reads the username, email and groups of an ID token.
func IdentityOf(idToken string) Identity {
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return Identity{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Identity{}
	}
	var c struct {
		Username string   `json:"cognito:username"`
		Email    string   `json:"email"`
		Groups   []string `json:"cognito:groups"`
	}
	_ = json.Unmarshal(raw, &c)
	return Identity{Username: c.Username, Email: c.Email, Groups: c.Groups}
}
