package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// friendlyArgs replaces cobra's argument errors (`accepts 1 arg(s),
// received 0`) in every command under root with one that names the
// command, what it takes (from its Use line), what it got, an example and
// the command's own help.
func friendlyArgs(root *cobra.Command) {
	for _, c := range root.Commands() {
		friendlyArgs(c)
	}
	check := root.Args
	if check == nil {
		return
	}
	root.Args = func(c *cobra.Command, args []string) error {
		if err := check(c, args); err != nil {
			return &UsageError{Msg: argsMessage(c, args)}
		}
		return nil
	}
}

func argsMessage(c *cobra.Command, args []string) string {
	var b strings.Builder
	takes := operands(c)
	switch {
	case len(c.ValidArgs) > 0 && len(args) > 0:
		fmt.Fprintf(&b, "%s takes one of %s; got %s", c.CommandPath(), strings.Join(c.ValidArgs, ", "), quoted(args))
	case takes == "":
		fmt.Fprintf(&b, "%s takes no arguments; got %s", c.CommandPath(), quoted(args))
	default:
		fmt.Fprintf(&b, "%s takes %s; got %s", c.CommandPath(), takes, quoted(args))
	}
	if ex := firstExample(c); ex != "" {
		fmt.Fprintf(&b, "\ne.g. %s", ex)
	}
	fmt.Fprintf(&b, "\n%s", helpLine(c))
	return b.String()
}

// operands are the Use line's argument words: EMAIL, METHOD PATH, or
// bash|zsh|fish|powershell (flags and their values are left out).
func operands(c *cobra.Command) string {
	var out []string
	prev, depth := "", 0
	for _, w := range strings.Fields(c.Use)[1:] {
		optional := depth > 0 || strings.HasPrefix(w, "[")
		depth += strings.Count(w, "[") - strings.Count(w, "]")
		flagValue := strings.HasPrefix(prev, "-")
		prev = w
		if !optional && !flagValue && !strings.HasPrefix(w, "-") {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

func quoted(args []string) string {
	if len(args) == 0 {
		return "none"
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	if len(args) == 1 {
		return q[0]
	}
	return fmt.Sprintf("%d: %s", len(args), strings.Join(q, " "))
}

// firstExample is the command's first example line that runs it.
func firstExample(c *cobra.Command) string {
	for l := range strings.Lines(c.Example) {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, c.CommandPath()) && !slices.Contains(strings.Fields(l), "--help") {
			return l
		}
	}
	return ""
}

// helpLine points at the failing command's own help.
func helpLine(c *cobra.Command) string {
	return fmt.Sprintf("Run '%s --help' for usage.", c.CommandPath())
}

// unknownSubcommand finds a word that is not a command of the group it
// follows (`users remov`): cobra shows the group's help there and exits 0,
// as if it had worked. It is a usage error, with the nearest command.
// Anything else (a bad flag, an unknown top-level command) is left to
// cobra, which reports it.
func unknownSubcommand(root *cobra.Command, args []string) error {
	word, c := strayWord(root, args)
	if word == "" {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", word, c.CommandPath())
	if near := c.SuggestionsFor(word); len(near) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(near, " or "))
	}
	return &UsageError{Msg: msg + "\n" + helpLine(c)}
}

// strayWord is the first word after a command group that names none of
// its commands, and that group; "" when there is none.
func strayWord(root *cobra.Command, args []string) (string, *cobra.Command) {
	c, rest, findErr := root.Find(args)
	if findErr != nil || !c.HasParent() || c.Runnable() || !c.HasSubCommands() {
		return "", nil
	}
	if c.ParseFlags(rest) != nil || c.Flags().NArg() == 0 {
		return "", nil // a bad flag; or the group alone, which prints its help
	}
	return c.Flags().Arg(0), c
}
