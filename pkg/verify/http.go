package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// CookieName is the UI's auth cookie: the authorizer's identity source on
// the UI path, and what the stock MLflow UI forwards as a header.
const CookieName = "mlflow-request-header-Authorization"

type response struct {
	status int
	header http.Header
	body   []byte
}

// how a request authenticates.
type auth struct {
	token string // the UI's cookie
	sign  bool   // SigV4 with the caller's credentials
}

const maxBody = 1 << 20

func (r *runner) do(ctx context.Context, method, rawURL string, body []byte, a auth) (response, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: url.QueryEscape("Bearer " + a.token)})
	}
	if a.sign {
		if err := r.sign(ctx, req, body); err != nil {
			return response{}, atHop(HopIAM, fmt.Errorf("sign the request: %w", err))
		}
	}
	res, err := r.d.HTTP.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	return response{status: res.StatusCode, header: res.Header, body: b}, err
}

func (r *runner) sign(ctx context.Context, req *http.Request, body []byte) error {
	creds, err := r.d.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api", r.d.Region, time.Now())
}

// statusError blames a wrong status on its hop: API Gateway's own
// answers name the authorizer (401, 403, AuthorizerConfigurationException),
// a 5xx from the integration is the server's.
func statusError(res response, want int, what string, onDeny string) error {
	err := fmt.Errorf("%s: HTTP %d, want %d%s", what, res.status, want, snippet(res))
	kind := res.header.Get("X-Amzn-ErrorType")
	switch {
	case strings.HasPrefix(kind, "AuthorizerConfigurationException") || strings.HasPrefix(kind, "AuthorizerFailure"):
		return atHop(HopAuthorizer, err)
	case res.status >= 500:
		return atHop(HopServer, err)
	case res.status == 401 || res.status == 403:
		return atHop(onDeny, err)
	}
	return err
}

func snippet(res response) string {
	s := strings.TrimSpace(string(res.body))
	if s == "" {
		return ""
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return " (" + s + ")"
}

func join(base, path string) string {
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
}
