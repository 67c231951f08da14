// Package login signs a person in to a deployment's Cognito managed login
// from a terminal (OAuth 2.0 authorization code with PKCE S256 and a
// loopback redirect, RFC 8252), keeps the tokens (OS keychain, else a 0600
// file), renews them with the refresh token and revokes it on logout.
//
// Cognito's endpoints used here: /oauth2/authorize, /oauth2/token and
// /oauth2/revoke of the user pool domain
// (https://docs.aws.amazon.com/cognito/latest/developerguide/federation-endpoints.html).
package login
