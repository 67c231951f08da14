package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlagValueNamesAreOneWord (issue 22 item 13, walk-through F21):
// `push-container --help` showed "--from docker save" and "--repository
// down": pflag takes the first back-quoted words of a usage string as the
// value's name. Every flag's value name is one word, and a back-quoted one
// is an upper-case placeholder (TARBALL).
func TestFlagValueNamesAreOneWord(t *testing.T) {
	t.Parallel()
	root := newRootCommand(&globalOpts{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(f)
			// a back-quoted name is meant as one: upper case, one word
			named := strings.Contains(f.Usage, "`") && name != strings.ToUpper(name)
			if named || strings.ContainsAny(name, " \t") {
				t.Errorf("%s --%s: value name %q", c.CommandPath(), f.Name, name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
