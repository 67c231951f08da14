package stacks

import (
	"net/url"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// Skeleton is the deployment's stack graph without templates: enough for
// commands that only read (status) or delete.
func Skeleton(name string) deploy.Deployment {
	return deploy.Deployment{Name: name, Stacks: []deploy.Stack{
		{ID: Bootstrap},
		{ID: Server, DependsOn: []string{Bootstrap}},
		{ID: API, DependsOn: []string{Bootstrap, Server}},
		{ID: Services, DependsOn: []string{Bootstrap, Server, API}},
		{ID: Studio, DependsOn: []string{Server, API}},
		{ID: UI, DependsOn: []string{API}},
	}}
}

// Endpoints are the addresses people and programs use, from stack outputs.
type Endpoints struct {
	UI           string `json:"ui,omitempty"`
	TrackingURI  string `json:"trackingUri,omitempty"`
	CognitoLogin string `json:"cognitoLogin,omitempty"`
	// TokenTrackingURI is the tracking URI for Cognito tokens
	// (mlflowctl login); CognitoDomain and AppClientID are what login
	// needs without AWS credentials.
	TokenTrackingURI string `json:"tokenTrackingUri,omitempty"`
	CognitoDomain    string `json:"cognitoDomain,omitempty"`
	AppClientID      string `json:"appClientId,omitempty"`
	UserPoolID       string `json:"userPoolId,omitempty"`
	RestAPIID        string `json:"restApiId,omitempty"`
	DomainID         string `json:"studioDomainId,omitempty"`
	UserProfiles     string `json:"studioUserProfiles,omitempty"`
	MLflowVersion    string `json:"mlflowVersion,omitempty"`
}

// EndpointsFrom reads the endpoints from deployed stacks' outputs.
func EndpointsFrom(outs deploy.Outputs) Endpoints {
	api := outs[API]
	e := Endpoints{
		UI:            withSlash(api[OutUIURL]),
		TrackingURI:   strings.TrimSuffix(api[OutRestAPIURL], "/"),
		UserPoolID:    api[OutUserPoolID],
		RestAPIID:     api[OutRestAPIID],
		DomainID:      outs[Studio][OutDomainID],
		UserProfiles:  outs[Studio][OutUserProfiles],
		MLflowVersion: outs[Server][OutMLflowVersion],
	}
	if e.TrackingURI != "" {
		e.TokenTrackingURI = e.TrackingURI + TokenPathPrefix
	}
	e.CognitoDomain, e.AppClientID = api[OutCognitoDomain], api[OutUserPoolClientID]
	if d, c := api[OutCognitoDomain], api[OutUserPoolClientID]; d != "" && c != "" && e.UI != "" {
		q := url.Values{"client_id": {c}, "response_type": {"code"}, "scope": {"openid email profile"}, "redirect_uri": {e.UI}}
		e.CognitoLogin = strings.TrimSuffix(d, "/") + "/login?" + q.Encode()
	}
	return e
}

func withSlash(u string) string {
	if u == "" || strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}
