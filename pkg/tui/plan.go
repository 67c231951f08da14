package tui

import (
	"fmt"
	"strings"

	"github.com/mlflowctl/mlflowctl/pkg/deploy"
)

// RenderPlan prints what a deploy would do, one block per stack:
//
//	~ update ml-server (2 changes)
//	    ~ Modify   MLflow tracking service (AWS::ECS::Service)
//	    + Add      Log group (AWS::Logs::LogGroup)
//	= ml-api: no changes
func RenderPlan(plans []deploy.StackPlan) string {
	var b strings.Builder
	for _, p := range plans {
		fmt.Fprintf(&b, "%s %s\n", actionMark(string(p.Action)), p)
		if p.Note != "" {
			fmt.Fprintf(&b, "    (%s)\n", p.Note)
		}
		for _, c := range p.Changes {
			line := fmt.Sprintf("    %s %-8s %s (%s)", changeMark(c.Action), c.Action, c.Label, c.Type)
			if c.Replacement == "True" || c.Replacement == "Conditional" {
				line += " — replacement: " + strings.ToLower(c.Replacement)
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func actionMark(a string) string {
	switch deploy.Action(a) {
	case deploy.ActionCreate:
		return "+"
	case deploy.ActionUpdate:
		return "~"
	case deploy.ActionRecreate:
		return "±"
	case deploy.ActionBusy:
		return "…"
	}
	return "="
}

func changeMark(a string) string {
	switch a {
	case "Add":
		return "+"
	case "Remove":
		return "-"
	}
	return "~"
}
