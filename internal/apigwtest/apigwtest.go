// Package apigwtest is the one stand-in, for tests, of what API Gateway's
// REST API does with a Lambda REQUEST authorizer's answer and of the error
// responses it sends itself. The tests' gateways (pkg/login's token path,
// pkg/verify's deployment hops) route with it; the authorizer they call is
// the real one (templates/authorizer, under Node).
//
// What it models: an answer without a policy document is a 500
// AuthorizerConfigurationException; an explicit Deny matching the method
// ARN wins (403); otherwise some Allow must match ("*" any run of
// characters, "?" one: authz.Match), else 403; the error body
// {"message": ...} with the X-Amzn-ErrorType header.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
// https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
//
// What it does not model: the authorizer result cache (TTL and its key of
// identity sources), policy conditions, usage plans and throttling,
// gateway response customisation, the 10 MB payload limit and the 29 s
// integration timeout, resource policies, and the VPC link and NLB.
package apigwtest

import (
	"encoding/json"
	"net/http"

	"github.com/mlflowctl/mlflowctl/pkg/authz"
)

// Statement is one statement of an authorizer's policyDocument; Resource
// is a string or a list, as IAM allows.
type Statement struct {
	Effect   string
	Resource any
}

// Resources reads Resource as a list.
func (s Statement) Resources() []string {
	switch x := s.Resource.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if v, ok := e.(string); ok {
				out = append(out, v)
			}
		}
		return out
	}
	return nil
}

// Decision is what API Gateway makes of a policy for one method ARN.
type Decision int

const (
	// Allowed: an Allow matches and no Deny does.
	Allowed Decision = iota
	// ExplicitDeny: a Deny statement matches.
	ExplicitDeny
	// NotAllowed: no statement matches.
	NotAllowed
)

// Evaluate applies a policy to methodARN as API Gateway does: an explicit
// Deny wins, else some Allow must match.
func Evaluate(statements []Statement, methodARN string) Decision {
	allowed := false
	for _, st := range statements {
		for _, res := range st.Resources() {
			if !authz.Match(res, methodARN) {
				continue
			}
			if st.Effect == "Deny" {
				return ExplicitDeny
			}
			allowed = allowed || st.Effect == "Allow"
		}
	}
	if allowed {
		return Allowed
	}
	return NotAllowed
}

// Error writes one of API Gateway's own error responses.
func Error(w http.ResponseWriter, status int, kind, msg string) {
	w.Header().Set("X-Amzn-ErrorType", kind)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// MissingToken is the answer for a path with no resource, or an AWS_IAM
// method called without a valid signature.
func MissingToken(w http.ResponseWriter) {
	Error(w, http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
}

// Unauthorized is the answer when the identity source is missing or the
// authorizer says "Unauthorized".
func Unauthorized(w http.ResponseWriter) {
	Error(w, http.StatusUnauthorized, "UnauthorizedException", "Unauthorized")
}

// Deny writes the 403 of a decision other than Allowed and tells whether
// the request may go on.
func Deny(w http.ResponseWriter, d Decision) bool {
	switch d {
	case ExplicitDeny:
		Error(w, http.StatusForbidden, "AccessDeniedException", "User is not authorized to access this resource with an explicit deny")
		return false
	case NotAllowed:
		Error(w, http.StatusForbidden, "AccessDeniedException", "User is not authorized to access this resource")
		return false
	}
	return true
}
