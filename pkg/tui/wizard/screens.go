package wizard

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"charm.land/huh/v2"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/mlflowctl/mlflowctl/pkg/awslookup"
	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// state is what every screen reads and writes, in either mode.
type state struct {
	o   Options
	ans Answers
	st  styles

	profiles    []awslookup.Profile
	profilesErr error
	regions     []string
	regionsErr  error
	regionsKey  string
	domains     []awslookup.Domain
	domainsErr  error
	domainsKey  string

	// regionDefault is the region last offered from the profile; while
	// the answer still equals it, the region follows the profile.
	regionDefault string

	// accessible forms read an empty line as "take the default".
	accessible bool
	// width is the terminal's width, for wrapping; height its lines, for
	// fitting the summary (zero: unknown).
	width, height int

	// write answers the summary; overwrite the existing-file question.
	write     bool
	overwrite bool
}

func newState(o Options) *state {
	s := &state{o: o, ans: initialAnswers(o.Base, o.EnvProfile, o.EnvRegion), st: newStyles(o.NoColor), write: true, width: o.Width, height: o.Height}
	if o.Lookup != nil {
		s.profiles, s.profilesErr = o.Lookup.Profiles()
	} else {
		s.profilesErr = errors.New("no AWS look-up configured")
	}
	if s.ans.Profile == "" && slices.ContainsFunc(s.profiles, func(p awslookup.Profile) bool { return p.Name == "default" }) {
		s.ans.Profile = "default"
	}
	return s
}

// needsLookup says whether step s waits for an AWS list not yet read.
func (s *state) needsLookup(st step) bool {
	switch st {
	case stepRegion:
		return s.regionsKey != s.lookupKey(st)
	case stepStudio:
		return s.domainsKey != s.lookupKey(st)
	}
	return false
}

// lookupKey names what a list depends on; an empty key means never read.
func (s *state) lookupKey(st step) string {
	if st == stepRegion {
		return "profile=" + s.ans.Profile
	}
	return "profile=" + s.ans.Profile + " region=" + s.ans.Region
}

// lookup returns the read of the list step st needs. It reads the
// answers now, so the returned function can run in a tea.Cmd while the
// program goes on.
func (s *state) lookup(st step) func(context.Context) lookupResult {
	lk, key, profile := s.o.Lookup, s.lookupKey(st), s.ans.Profile
	region := s.ans.Region
	if st == stepRegion {
		region = s.profileRegion()
	}
	return func(ctx context.Context) lookupResult {
		r := lookupResult{step: st, key: key}
		switch {
		case lk == nil:
			r.err = errors.New("no AWS look-up configured")
		case st == stepRegion:
			r.regions, r.err = lk.Regions(ctx, profile, region)
		default:
			r.domains, r.err = lk.Domains(ctx, profile, region)
		}
		return r
	}
}

type lookupResult struct {
	step    step
	key     string
	regions []string
	domains []awslookup.Domain
	err     error
}

// firstSupportedRegion is the first of regions mlflowctl supports: a
// profile or AWS_REGION in China or GovCloud is not offered as the default.
func firstSupportedRegion(regions ...string) string {
	for _, r := range regions {
		if r != "" && config.ValidateRegion(r) == nil {
			return r
		}
	}
	return ""
}

func (s *state) apply(r lookupResult) {
	switch r.step {
	case stepRegion:
		s.regionsKey, s.regions, s.regionsErr = r.key, r.regions, r.err
		if r.err == nil && len(r.regions) == 0 {
			s.regionsErr = errors.New("the account lists no regions")
		}
		def := firstSupportedRegion(s.profileRegion(), s.o.EnvRegion, "us-east-1")
		if s.ans.Region == "" || s.ans.Region == s.regionDefault {
			s.ans.Region = def
			s.regionDefault = def
		}
	case stepStudio:
		s.domainsKey, s.domains, s.domainsErr = r.key, r.domains, r.err
		if s.ans.Domain != domainNew && s.ans.Domain != domainNone && r.err == nil &&
			!slices.ContainsFunc(r.domains, func(d awslookup.Domain) bool { return d.ID == s.ans.Domain }) {
			s.ans.Domain = domainNew
		}
	}
}

func (s *state) profileRegion() string {
	for _, p := range s.profiles {
		if p.Name == s.ans.Profile {
			return p.Region
		}
	}
	return ""
}

// form builds the huh form of step st, bound to the answers.
func (s *state) form(st step) *huh.Form {
	f := huh.NewForm(huh.NewGroup(s.question(st).field())).WithTheme(formTheme(s.o.NoColor)).WithShowHelp(false)
	return f.WithWidth(s.textWidth())
}

// question describes step st's question, bound to the answers.
func (s *state) question(st step) question {
	switch st {
	case stepProfile:
		return s.profileField()
	case stepRegion:
		return s.regionField()
	case stepName:
		return question{kind: qInput, title: s.inputTitle("Deployment name", s.ans.Name), text: &s.ans.Name,
			validate: s.check(config.ValidateName), charLimit: 20}
	case stepVersion:
		return s.versionField()
	case stepSize:
		return s.sizeField()
	case stepStudio:
		return s.studioField()
	case stepGateway:
		return question{kind: qConfirm, title: "Run the MLflow AI gateway?", flag: &s.ans.Gateway,
			desc: "Bedrock models behind MLflow's gateway endpoints, with the same\nsign-in and group rights as the tracking server.",
			yes:  "Yes", no: "No"}
	case stepModels:
		return s.modelsField()
	case stepMFA:
		return question{kind: qSelect, title: "Multi-factor authentication for MLflow sign-in", text: &s.ans.MFA,
			options: []huh.Option[string]{huh.NewOption("off", "off"), huh.NewOption("optional (users may add a TOTP app)", "optional"),
				huh.NewOption("on (every user needs a TOTP app)", "on")}}
	case stepAdmin:
		return question{kind: qInput, title: s.inputTitle("E-mail of the first admin", s.ans.AdminEmail), text: &s.ans.AdminEmail,
			desc:        "Gets a Cognito invitation after `mlflowctl up`; leave empty to add admins later.",
			placeholder: "ada@example.com", validate: s.check(validateEmail)}
	case stepSummary:
		return question{kind: qConfirm, title: "Write " + s.o.Path + "?", flag: &s.write, yes: "Write", no: "Back"}
	default: // stepOverwrite
		return question{kind: qConfirm, title: s.o.Path + " already exists. Replace it?", flag: &s.overwrite,
			desc: "Replacing drops its comments; its values were the defaults of these questions.",
			yes:  "Replace", no: "Keep it"}
	}
}

func (s *state) profileField() question {
	if len(s.profiles) == 0 {
		return question{kind: qInput, title: s.inputTitle("AWS profile", s.ans.Profile), text: &s.ans.Profile,
			desc:        "Empty: the SDK's default chain (AWS_PROFILE, environment keys, SSO, instance role).",
			placeholder: "(SDK default chain)"}
	}
	opts := []huh.Option[string]{huh.NewOption("(SDK default chain: environment, AWS_PROFILE, instance role)", "")}
	width := 0
	for _, p := range s.profiles {
		width = max(width, len(p.Name))
	}
	for _, p := range s.profiles {
		label := p.Name
		if p.Region != "" {
			label = fmt.Sprintf("%-*s  %s", width, p.Name, s.st.dim.Render(p.Region))
		}
		opts = append(opts, huh.NewOption(label, p.Name))
	}
	if s.ans.Profile != "" && !slices.ContainsFunc(s.profiles, func(p awslookup.Profile) bool { return p.Name == s.ans.Profile }) {
		opts = append(opts, huh.NewOption(s.ans.Profile+" (from the environment)", s.ans.Profile))
	}
	return question{kind: qSelect, title: "AWS profile", options: opts, text: &s.ans.Profile, height: min(len(opts)+2, 12)}
}

// tuiHint is help about the TUI's keys, which a line prompt (accessible
// mode) does not have.
func (s *state) tuiHint(hint string) string {
	if s.accessible {
		return ""
	}
	return hint
}

func (s *state) regionField() question {
	if s.regionsErr != nil {
		return question{kind: qInput, title: s.inputTitle("Region", s.ans.Region), text: &s.ans.Region,
			suggestions: awslookup.StandardRegions, desc: s.tuiHint("Type a region (tab completes)."), validate: s.check(config.ValidateRegion)}
	}
	// Only the regions mlflowctl supports: DescribeRegions of an account
	// (or an emulator) in another partition lists cn-* and us-gov-*.
	list := slices.DeleteFunc(slices.Clone(s.regions), func(r string) bool { return config.ValidateRegion(r) != nil })
	if s.ans.Region != "" && !slices.Contains(list, s.ans.Region) && config.ValidateRegion(s.ans.Region) == nil {
		list = append([]string{s.ans.Region}, list...)
	}
	opts := make([]huh.Option[string], 0, len(list))
	for _, r := range list {
		opts = append(opts, huh.NewOption(r, r))
	}
	return question{kind: qSelect, title: "Region", desc: s.tuiHint("Type / to filter."), options: opts, text: &s.ans.Region, height: 10}
}

// afterAnswer keeps later answers consistent with the one just given:
// which gateway models exist depends on the MLflow version.
func (s *state) afterAnswer(st step) {
	if st == stepVersion {
		s.ans.Models = keepModelsFor(s.ans.MLflowVersion, s.ans.Models, s.o.Base.Gateway.Endpoints)
	}
}

// liveLine is shown under a screen's form and follows the answer as it
// changes: the name's validity, the hovered size's purpose.
func (s *state) liveLine(st step) string {
	switch st {
	case stepName:
		return s.nameStatus()
	case stepSize:
		return s.st.dim.Render(presetByName(s.ans.Preset).Summary)
	}
	return ""
}

func (s *state) nameStatus() string {
	if err := config.ValidateName(s.ans.Name); err != nil {
		return s.st.warn.Render("✗ use 1-20 lowercase letters, digits and hyphens, starting with a letter")
	}
	return s.st.ok.Render(fmt.Sprintf("✓ stacks will be %s-bootstrap, %s-server, %s-api, …", s.ans.Name, s.ans.Name, s.ans.Name))
}

func (s *state) versionField() question {
	opts := make([]huh.Option[string], 0, len(config.SupportedMLflowVersions))
	for _, v := range config.SupportedMLflowVersions {
		label := v
		switch {
		case v == config.DefaultMLflowVersion:
			label += "  (newest; AI gateway built into the server)"
		case config.Major(v) == 2:
			label += "  (the AWS sample's version; AI gateway as its own service)"
		}
		opts = append(opts, huh.NewOption(label, v))
	}
	return question{kind: qSelect, title: "MLflow version", options: opts, text: &s.ans.MLflowVersion}
}

func (s *state) sizeField() question {
	opts := []huh.Option[string]{}
	for _, p := range Presets() {
		opts = append(opts, huh.NewOption(fmt.Sprintf("%-10s %s", p.Name, s.presetLine(p)), p.Name))
	}
	return question{kind: qSelect, title: "Size", options: opts, text: &s.ans.Preset}
}

// presetLine is a preset's sizes and, with a price table, its monthly cost.
func (s *state) presetLine(p Preset) string {
	a := s.ans
	a.Preset = p.Name
	cfg := a.Config(s.o.Base)
	line := p.Sizes(cfg.UsesSeparateGateway())
	if s.o.Estimate != nil {
		usd, _ := s.o.Estimate(cfg)
		line = fmt.Sprintf("%-13s %s", fmt.Sprintf("~$%.0f/month", usd), line)
	}
	return line
}

func (s *state) studioField() question {
	if s.domainsErr != nil {
		return question{kind: qInput, title: s.inputTitle("SageMaker Studio domain", s.ans.Domain), text: &s.ans.Domain,
			desc:     "new: create a domain; none: no Studio; or an existing domain id (d-…).",
			validate: s.check(validateDomainAnswer)}
	}
	opts := []huh.Option[string]{huh.NewOption("Create a new Studio domain", domainNew)}
	for _, d := range s.domains {
		opts = append(opts, huh.NewOption(fmt.Sprintf("Use %s  %s", d.Name, s.st.dim.Render(d.ID+", "+d.Status)), d.ID))
	}
	opts = append(opts, huh.NewOption("No Studio (tracking server, UI and API only)", domainNone))
	return question{kind: qSelect, title: "SageMaker Studio domain", options: opts, text: &s.ans.Domain,
		desc: studioDesc(stacks.ProfileNames(s.ans.Config(s.o.Base)))}
}

// studioDesc names one of the deployment's own profiles (team-a-admin),
// short enough for one line.
func studioDesc(profiles []string) string {
	if len(profiles) == 0 {
		return "One Studio role and user profile per group."
	}
	return "One Studio role and user profile per group, e.g. " + profiles[0] + "."
}

func validateDomainAnswer(v string) error {
	if v == domainNew || v == domainNone {
		return nil
	}
	c := config.Defaults()
	c.Studio.DomainID = v
	var verr *config.ValidationError
	if errors.As(c.Validate(), &verr) {
		for _, p := range verr.Problems {
			if p.Field == "studio.domainId" {
				return fmt.Errorf("%q is not a domain id: use one like d-abcdef123456, or new, or none", v)
			}
		}
	}
	return nil
}

func (s *state) modelsField() question {
	opts := []huh.Option[string]{}
	for _, m := range modelChoices(s.ans.MLflowVersion, s.o.Base.Gateway.Endpoints) {
		opts = append(opts, huh.NewOption(fmt.Sprintf("%-32s %s", m.Label, s.st.dim.Render(m.ID)), m.ID).
			Selected(slices.Contains(s.ans.Models, m.ID)))
	}
	return question{kind: qMulti, title: "Bedrock models to serve", options: opts, list: &s.ans.Models,
		desc: s.modelsHelp(), height: len(opts) + 3}
}

// inputTitle names the default in accessible mode, where the prompt line
// does not show the pre-filled value.
func (s *state) inputTitle(title, def string) string {
	if !s.accessible {
		return title
	}
	if def == "" {
		return title + " (default: empty)"
	}
	return title + " (default: " + def + ")"
}

// check adapts a validator to the mode: huh's accessible prompts check
// the typed line before an empty one becomes the default, so an empty
// line must pass there (the default itself is checked when written).
func (s *state) check(fn func(string) error) func(string) error {
	return func(v string) error {
		if s.accessible && v == "" {
			return nil
		}
		return fn(v)
	}
}

func (s *state) modelsHelp() string {
	help := "space toggles; each becomes a gateway endpoint. Enable them in the Bedrock console."
	if config.Major(s.ans.MLflowVersion) == 2 {
		help += "\nMLflow " + s.ans.MLflowVersion + "'s Bedrock provider serves text completions only."
	}
	return help
}

// lookupNotes say which lists could not be read, for the current step.
func (s *state) lookupNote(st step) string {
	var what string
	var err error
	switch st {
	case stepProfile:
		what, err = "AWS profiles", s.profilesErr
		if errors.Is(err, awslookup.ErrNoProfiles) {
			return s.st.warn.Width(s.textWidth()).Render("No profiles in your AWS config files: type a profile name, or leave it empty.")
		}
	case stepRegion:
		what, err = "the account's regions", s.regionsErr
	case stepStudio:
		what, err = "Studio domains", s.domainsErr
	}
	if err == nil {
		return ""
	}
	return s.st.warn.Width(s.textWidth()).Render(fmt.Sprintf("Could not list %s (%s): type the value.", what, shortErr(err)))
}

// shortErr says why a look-up failed in the wizard's words: a setup
// problem (no credentials, unknown profile) by its name, AWS's answer by
// its code and message, a network failure as "cannot reach AWS" with the
// cause, a timeout as such; never the SDK's "operation error EC2:
// DescribeRegions, https response error StatusCode: 0, RequestID: ...".
func shortErr(err error) string {
	var setup *awsx.SetupError
	var api smithy.APIError
	var send *smithyhttp.RequestSendError
	var urlErr *url.Error
	var msg string
	switch {
	case errors.As(err, &setup):
		return setup.Problem
	case errors.Is(err, context.DeadlineExceeded):
		msg = "AWS did not answer in time"
	case errors.As(err, &api):
		msg = "AWS answered " + api.ErrorCode()
		if m := api.ErrorMessage(); m != "" {
			msg += ": " + m
		}
	case errors.As(err, &send) && errors.As(err, &urlErr):
		msg = "cannot reach AWS: " + urlErr.Err.Error()
	case errors.As(err, &send):
		msg = "cannot reach AWS"
	default:
		msg = err.Error()
	}
	msg, _, _ = strings.Cut(msg, "\n")
	if len(msg) > 90 {
		msg = msg[:87] + "..."
	}
	return msg
}
