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

// Models are the Bedrock models offered for the AI gateway on MLflow 3;
// the first two are the defaults' endpoints.
var Models = []Model{
	{"chat", "llm/v1/chat", config.DefaultChatModel, "Claude Haiku 4.5 (chat)"},
	{"embeddings", "llm/v1/embeddings", "amazon.titan-embed-text-v2:0", "Titan Text Embeddings v2"},
	{"claude-sonnet", "llm/v1/chat", "anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2 (chat)"},
	{"nova-lite", "llm/v1/chat", "amazon.nova-lite-v1:0", "Amazon Nova Lite (chat)"},
	{"nova-pro", "llm/v1/chat", "amazon.nova-pro-v1:0", "Amazon Nova Pro (chat)"},
	{"llama-70b", "llm/v1/chat", "meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct (chat)"},
	{"cohere-embed", "llm/v1/embeddings", "cohere.embed-english-v3", "Cohere Embed English v3"},
}

// Models2 are the models offered on MLflow 2.x, whose Bedrock provider
// serves only text completions; the first is the default.
var Models2 = []Model{
	{"completions", "llm/v1/completions", "anthropic.claude-v2:1", "Claude 2.1 (completions)"},
	{"claude-instant", "llm/v1/completions", "anthropic.claude-instant-v1", "Claude Instant (completions)"},
	{"titan-text", "llm/v1/completions", "amazon.titan-text-express-v1", "Titan Text Express (completions)"},
	{"cohere-command", "llm/v1/completions", "cohere.command-text-v14", "Cohere Command (completions)"},
}

// catalogue is the models offered for an MLflow version.
func catalogue(version string) []Model {
	if config.Major(version) == 2 {
		return Models2
	}
	return Models
}

// servesType says whether MLflow version's gateway serves endpoint type t.
func servesType(version, t string) bool {
	return config.Major(version) != 2 || t == "llm/v1/completions"
}

// defaultModels are the models selected when a version is first chosen.
func defaultModels(version string) []string {
	if config.Major(version) == 2 {
		return []string{Models2[0].ID}
	}
	return []string{Models[0].ID, Models[1].ID}
}

// initialAnswers takes every default from base, the profile and region
// from the environment when base names none.
func initialAnswers(base config.Config, envProfile, envRegion string) Answers {
	a := Answers{
		Profile:       firstNonEmpty(base.Profile, envProfile),
		Region:        firstSupportedRegion(base.Region, envRegion),
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
		c.Gateway.Endpoints = endpoints(a.Models, modelChoices(a.MLflowVersion, base.Gateway.Endpoints))
	}
	c.Cognito.MFA = a.MFA
	return c
}

// endpoints turns chosen model ids into gateway endpoints, in the order
// they were chosen; ids the version does not offer are dropped.
func endpoints(models []string, choices []Model) []config.Endpoint {
	out := []config.Endpoint{}
	for _, id := range models {
		if i := slices.IndexFunc(choices, func(m Model) bool { return m.ID == id }); i >= 0 {
			out = append(out, config.Endpoint{Name: choices[i].Endpoint, Type: choices[i].Type, Model: id})
		}
	}
	return out
}

// modelChoices are the version's catalogue after the endpoints the base
// config already has (keeping their names) that the version serves, so
// editing a file never drops or renames an endpoint.
func modelChoices(version string, known []config.Endpoint) []Model {
	var out []Model
	for _, e := range known {
		if servesType(version, e.Type) {
			label := e.Name + " (" + e.Type + ")"
			if i := slices.IndexFunc(catalogue(version), func(m Model) bool { return m.ID == e.Model }); i >= 0 {
				label = catalogue(version)[i].Label
			}
			out = append(out, Model{Endpoint: e.Name, Type: e.Type, ID: e.Model, Label: label})
		}
	}
	for _, m := range catalogue(version) {
		if !slices.ContainsFunc(out, func(o Model) bool { return o.ID == m.ID }) {
			out = append(out, m)
		}
	}
	return out
}

// keepModelsFor keeps the chosen models the version offers; when none is
// left of a non-empty choice, the version's defaults replace them.
func keepModelsFor(version string, chosen []string, known []config.Endpoint) []string {
	choices := modelChoices(version, known)
	var keep []string
	for _, id := range chosen {
		if slices.ContainsFunc(choices, func(m Model) bool { return m.ID == id }) {
			keep = append(keep, id)
		}
	}
	if len(keep) == 0 && len(chosen) > 0 {
		return defaultModels(version)
	}
	return keep
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
