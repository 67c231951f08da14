package wizard

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// Studio choices besides an existing domain's id.
const (
	domainNew  = "new"
	domainNone = "none"
)

// Answers are the wizard's questions and what the user chose.
type Answers struct {
	Profile       string
	Region        string
	Name          string
	MLflowVersion string
	Preset        string
	// Domain is "new", "none" or the id of an existing Studio domain.
	Domain     string
	Gateway    bool
	Models     []string
	MFA        string
	AdminEmail string
}

// Model is a Bedrock model the AI gateway can serve as an endpoint.
type Model struct {
	Endpoint string
	Type     string
	ID       string
	Label    string
}

// Models are the Bedrock models offered for the AI gateway; the first two
// are the defaults' endpoints.
var Models = []Model{
	{"chat", "llm/v1/chat", "anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku (chat)"},
	{"embeddings", "llm/v1/embeddings", "amazon.titan-embed-text-v2:0", "Titan Text Embeddings v2"},
	{"claude-sonnet", "llm/v1/chat", "anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2 (chat)"},
	{"nova-lite", "llm/v1/chat", "amazon.nova-lite-v1:0", "Amazon Nova Lite (chat)"},
	{"nova-pro", "llm/v1/chat", "amazon.nova-pro-v1:0", "Amazon Nova Pro (chat)"},
	{"llama-70b", "llm/v1/chat", "meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct (chat)"},
	{"cohere-embed", "llm/v1/embeddings", "cohere.embed-english-v3", "Cohere Embed English v3"},
}

// initialAnswers takes every default from base, the profile and region
// from the environment when base names none.
func initialAnswers(base config.Config, envProfile, envRegion string) Answers {
	a := Answers{
		Profile:       firstNonEmpty(base.Profile, envProfile),
		Region:        firstNonEmpty(base.Region, envRegion),
		Name:          base.Name,
		MLflowVersion: base.MLflowVersion,
		Preset:        firstNonEmpty(matchPreset(base), "team"),
		Domain:        domainNew,
		Gateway:       base.Gateway.Enabled,
		MFA:           base.Cognito.MFA,
	}
	switch {
	case !base.Studio.Enabled:
		a.Domain = domainNone
	case base.Studio.DomainID != "":
		a.Domain = base.Studio.DomainID
	}
	for _, e := range base.Gateway.Endpoints {
		a.Models = append(a.Models, e.Model)
	}
	return a
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// Config applies the answers to base; everything the wizard does not ask
// about keeps base's value.
func (a Answers) Config(base config.Config) config.Config {
	c := presetByName(a.Preset).Apply(base)
	c.Profile = a.Profile
	c.Region = a.Region
	c.Name = a.Name
	c.MLflowVersion = a.MLflowVersion
	c.Studio = config.Studio{Enabled: a.Domain != domainNone}
	if c.Studio.Enabled && a.Domain != domainNew {
		c.Studio.DomainID = a.Domain
	}
	c.Gateway.Enabled = a.Gateway
	if a.Gateway {
		c.Gateway.Endpoints = endpoints(a.Models, base.Gateway.Endpoints)
	}
	c.Cognito.MFA = a.MFA
	return c
}

// endpoints turns chosen model ids into gateway endpoints, reusing the
// names of endpoints the base config already had.
func endpoints(models []string, known []config.Endpoint) []config.Endpoint {
	out := []config.Endpoint{}
	for _, id := range models {
		if i := slices.IndexFunc(known, func(e config.Endpoint) bool { return e.Model == id }); i >= 0 {
			out = append(out, known[i])
			continue
		}
		if i := slices.IndexFunc(Models, func(m Model) bool { return m.ID == id }); i >= 0 {
			out = append(out, config.Endpoint{Name: Models[i].Endpoint, Type: Models[i].Type, Model: id})
		}
	}
	return out
}

// modelChoices are the catalogue plus any model the base config names
// that the catalogue lacks, so editing a file never drops an endpoint.
func modelChoices(known []config.Endpoint) []Model {
	out := slices.Clone(Models)
	for _, e := range known {
		if !slices.ContainsFunc(out, func(m Model) bool { return m.ID == e.Model }) {
			out = append(out, Model{Endpoint: e.Name, Type: e.Type, ID: e.Model, Label: e.Model + " (" + e.Name + ")"})
		}
	}
	return out
}

// validateEmail accepts an empty answer (add the admin later) or one
// plain address.
func validateEmail(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || !strings.Contains(s[strings.LastIndex(s, "@"):], ".") {
		return fmt.Errorf("%q is not an e-mail address: use one like ada@example.com, or leave it empty to add the admin later", s)
	}
	return nil
}
