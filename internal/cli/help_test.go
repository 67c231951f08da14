package cli

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Issue 22 item 11: the commands are grouped in help, and every command
// has an Examples section.
func TestHelpGroupsAndExamples(t *testing.T) {
	t.Parallel()
	root := newRootCommand(&globalOpts{ctx: context.Background(), mark: &changeMark{}})
	ungrouped := []string{"version", "completion", "help"}
	for _, c := range root.Commands() {
		if c.GroupID == "" && !slices.Contains(ungrouped, c.Name()) {
			t.Errorf("command %s is in no help group: add it to commandGroup in help.go", c.Name())
		}
	}
	walk(root, func(c *cobra.Command) {
		if c == root || c.Hidden || c.Name() == "help" || strings.HasPrefix(pathOf(c), "completion ") {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no Examples section: add one to examples in help.go", c.CommandPath())
		}
	})
	for id := range commandGroup {
		if !slices.ContainsFunc(helpGroups, func(g *cobra.Group) bool { return g.ID == commandGroup[id] }) {
			t.Errorf("command %s names an unknown group %s", id, commandGroup[id])
		}
	}
}

// Issue 22 item 11: bare `mlflowctl` prints help and points at init (it
// started the wizard on a terminal).
func TestBareMlflowctlPrintsHelpAndSuggestsInit(t *testing.T) {
	t.Parallel()
	out, _, err := runIn(t, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Getting started:", "Deploy:", "Users and access:", "Images:", "Inspect:", "`mlflowctl init`"} {
		if !strings.Contains(out, want) {
			t.Errorf("bare mlflowctl lacks %q:\n%s", want, out)
		}
	}
}
