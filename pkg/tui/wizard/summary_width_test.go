package wizard

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// Issue 22 item 10 / walk-through F10: on an 80-column terminal the
// summary box was wider than the screen: its right border and the end of
// the "Creates the stacks … (`mlflowctl up --dry-run` lists them)" line
// were cut off. Every line fits the width, and each box line ends in the
// border. Checked at 80x24 (the short summary) and 80x60 (the full one,
// whose cost lines are long).
func TestSummaryBoxFitsTheWidth(t *testing.T) {
	for _, height := range []int{24, 60} {
		o := testOptions(t, listingLookup())
		o.Width, o.Height = 80, height
		o.Estimate = func(config.Config) (float64, []string) {
			return 126, []string{"$72.08  Fargate: MLflow tracking server        2 × (1 vCPU, 2 GB, x86_64) × 730 h"}
		}
		s := start(t, o)
		walkTo(s, stepSummary)
		out := s.screen(stepSummary)
		inBox := false
		for _, line := range strings.Split(out, "\n") {
			if w := ansi.StringWidth(line); w > 80 {
				t.Errorf("80x%d: line is %d wide: %q", height, w, line)
			}
			switch {
			case strings.HasPrefix(line, "╭") || strings.HasPrefix(line, "┌"):
				inBox = true
			case strings.HasPrefix(line, "╰") || strings.HasPrefix(line, "└"):
				inBox = false
			case inBox && !strings.HasSuffix(strings.TrimRight(line, " "), "│"):
				t.Errorf("80x%d: box line without its right border: %q", height, line)
			}
		}
		if height == 24 && !strings.Contains(out, "lists them)") {
			t.Errorf("80x%d: the stacks line is cut:\n%s", height, out)
		}
	}
}
