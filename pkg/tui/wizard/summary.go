package wizard

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// summary is the configuration, its cost and what `up` will create.
func (s *state) summary() string {
	cfg := s.ans.Config(s.o.Base)
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "%s%s\n", s.st.label.Render(k), s.st.value.Render(v)) }
	row("Profile", firstNonEmpty(cfg.Profile, "(SDK default chain)"))
	row("Region", cfg.Region)
	row("Name", cfg.Name)
	row("MLflow", cfg.MLflowVersion)
	row("Size", s.ans.Preset+": "+presetByName(s.ans.Preset).Sizes(cfg.UsesSeparateGateway()))
	row("Studio", studioText(cfg))
	row("AI gateway", gatewayText(cfg))
	row("MFA", cfg.Cognito.MFA)
	row("First admin", firstNonEmpty(s.ans.AdminEmail, "(none yet)"))
	b.WriteString("\n")
	b.WriteString(s.costText(cfg))
	b.WriteString("\n" + s.st.title.Render("What `mlflowctl up` will create") + "\n")
	b.WriteString(stackLines(Creates(cfg), s.textWidth()-4))
	return b.String()
}

// shortSummary is the summary for a short terminal: the answers, the
// cost total and the stacks on one line.
func (s *state) shortSummary() string {
	full := s.summary()
	answers, _, _ := strings.Cut(full, "\n\n")
	cfg := s.ans.Config(s.o.Base)
	var b strings.Builder
	b.WriteString(answers + "\n")
	if s.o.Estimate != nil {
		usd, _ := s.o.Estimate(cfg)
		b.WriteString(s.st.title.Render(fmt.Sprintf("Estimated cost while idle: ~$%.0f per month", usd)) + "\n")
	}
	b.WriteString(s.st.dim.Render(fmt.Sprintf("Creates the stacks %s-bootstrap, -server, -api, -services, -studio, -ui (`mlflowctl up --dry-run` lists them)", cfg.Name)) + "\n")
	return b.String()
}

func (s *state) costText(cfg config.Config) string {
	if s.o.Estimate == nil {
		return s.st.note.Render("Monthly cost: no price table in this build; sizes are shown above.") + "\n"
	}
	usd, lines := s.o.Estimate(cfg)
	out := s.st.title.Render(fmt.Sprintf("Estimated cost while idle: ~$%.0f per month", usd)) + "\n"
	for _, l := range lines {
		out += "  " + s.st.dim.Render(l) + "\n"
	}
	return out
}

// textWidth is the width text wraps to: the terminal's, at most 100.
func (s *state) textWidth() int {
	if s.width <= 0 {
		return 100
	}
	return min(s.width, 100)
}

func studioText(c config.Config) string {
	switch {
	case !c.Studio.Enabled:
		return "none"
	case c.Studio.DomainID == "":
		return "new domain"
	}
	return "existing domain " + c.Studio.DomainID
}

func gatewayText(c config.Config) string {
	if !c.Gateway.Enabled {
		return "off"
	}
	names := make([]string, 0, len(c.Gateway.Endpoints))
	for _, e := range c.Gateway.Endpoints {
		names = append(names, e.Name)
	}
	if len(names) == 0 {
		return "on, no endpoints yet"
	}
	return "on: " + strings.Join(names, ", ")
}

// Stack is one stack `up` deploys and what it holds.
type Stack struct {
	Name string
	What string
}

// Creates lists the stacks `up` deploys for c, in order.
func Creates(c config.Config) []Stack {
	server := fmt.Sprintf("VPC over 2 AZs with %d NAT gateway%s; Aurora Serverless v2 (%g–%g ACU); tracking server on Fargate (%d task%s); S3 artifact bucket",
		c.Network.NatGateways, plural(c.Network.NatGateways), c.Database.MinCapacity, c.Database.MaxCapacity, c.Server.DesiredCount, plural(c.Server.DesiredCount))
	if c.UsesSeparateGateway() {
		server += "; AI gateway service"
	}
	out := []Stack{
		{"bootstrap", "assets bucket, ECR repositories, CodeBuild image builder"},
		{"server", server},
		{"api", "REST API Gateway with a Lambda authorizer; Cognito user pool (MFA " + c.Cognito.MFA + ") with groups " + strings.Join(c.GroupNames(), ", ")},
	}
	if c.Studio.Enabled {
		out = append(out, Stack{"studio", "mlflow-admin, -reader, -model-approver roles and user profiles in " + studioText(c)})
	}
	if c.UI.Enabled {
		out = append(out, Stack{"ui", "Amplify app serving the MLflow " + c.MLflowVersion + " UI with Cognito sign-in"})
	}
	for i := range out {
		out[i].Name = c.Name + "-" + out[i].Name
	}
	return out
}

// stackLines renders the stacks as a two-column list wrapped to width.
func stackLines(stacks []Stack, width int) string {
	col := 0
	for _, st := range stacks {
		col = max(col, len(st.Name)+2)
	}
	what := lipgloss.NewStyle().Width(max(width-col-2, 30))
	rows := make([]string, 0, len(stacks))
	for _, st := range stacks {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, "  "+fmt.Sprintf("%-*s", col, st.Name), what.Render(st.What)))
	}
	return strings.Join(rows, "\n")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// doneText is the last screen: what was written and what comes next.
func (s *state) doneText(res Result) string {
	var b strings.Builder
	switch {
	case res.KeptExisting:
		fmt.Fprintf(&b, "%s was kept; nothing was written.\n", s.o.Path)
		return b.String()
	case res.Written:
		b.WriteString(s.st.ok.Render("✓ Wrote "+s.o.Path) + "\n")
	}
	if s.o.RunUp == nil {
		b.WriteString("\nNext: run `mlflowctl up`. It builds the images and deploys, in order:\n")
		b.WriteString(stackLines(Creates(res.Config), s.textWidth()) + "\n")
		if s.ans.AdminEmail != "" {
			fmt.Fprintf(&b, "Then invite the first admin: %s\n", AddAdminCommand(res.Config, s.ans.AdminEmail))
		}
	}
	return b.String()
}
