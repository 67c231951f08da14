package verify

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the checks with their timings, then the verdict: the
// failing hop and where to look.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if _, err := fmt.Fprintf(tw, "HOP\tCHECK\tRESULT\tTIME\tDETAIL\n"); err != nil {
		return err
	}
	for _, x := range r.Results {
		if _, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%.2fs\t%s\n", x.Hop, x.Check, strings.ToUpper(string(x.Status)), x.Seconds, oneLine(x.Detail)); err != nil {
			return err
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\n"+r.Verdict())
	return err
}

// Verdict is one line: all passed, or the failing hop and what to look at.
func (r Report) Verdict() string {
	pass, fail := 0, 0
	for _, x := range r.Results {
		switch x.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		}
	}
	f := r.Failed()
	if f == nil {
		return fmt.Sprintf("%d checks passed: the deployment works and its permissions hold.", pass)
	}
	return fmt.Sprintf("%d passed, %d failed. First failure at hop %q (%s): look at %s.", pass, fail, f.Hop, f.Check, f.LookAt)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 140 {
		s = s[:140] + "…"
	}
	return s
}
