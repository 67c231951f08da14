package wizard

import (
	"strings"
	"testing"
)

// Issue 22, walk-through F18: the accessible wizard's lines were padded
// with spaces to the text width (a lipgloss Width box), so every note and
// every stack row of the summary ended in up to 80 spaces; a screen reader
// reads them as blanks and a pipe keeps them.
func TestAccessibleLinesHaveNoTrailingSpaces(t *testing.T) {
	for name, lk := range map[string]*fakeLookup{"listing": listingLookup(), "failing": failingLookup()} {
		t.Chdir(t.TempDir())
		// every default, an admin, write, then the end of input.
		_, out, err := runPiped(t, lk, "\n\n\n\n\n\n\n\n\nops@example.com\ny\n")
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		for i, line := range strings.Split(out, "\n") {
			if strings.TrimRight(line, " ") != line {
				t.Errorf("%s: line %d ends in spaces: %q", name, i+1, line)
			}
		}
	}
}

// Walk-through F18: in accessible mode the region and profile prompts told
// a pipe or a screen reader to "Type / to filter." or that "tab
// completes", keys a line prompt does not have.
func TestAccessiblePromptsNameNoTUIKeys(t *testing.T) {
	t.Chdir(t.TempDir())
	for name, lk := range map[string]*fakeLookup{"listing": listingLookup(), "failing": failingLookup()} {
		_, out, _ := runPiped(t, lk, "\n\n\n")
		for _, tuiOnly := range []string{"Type / to filter", "tab completes"} {
			if strings.Contains(out, tuiOnly) {
				t.Errorf("%s: accessible output says %q:\n%s", name, tuiOnly, out)
			}
		}
	}
}
