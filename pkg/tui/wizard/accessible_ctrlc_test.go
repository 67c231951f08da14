package wizard

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// Found re-checking issue 22 (F17's wording, in the accessible wizard):
// Ctrl-C at a plain prompt left the prompt's line open, so the command's
// error followed it on the same line:
// `Enter a number between 1 and 38, …: ^CError: left the wizard`.
// The wizard ends the line first, at every prompt.
func TestAccessibleCtrlCEndsThePromptLine(t *testing.T) {
	for answers := 0; answers <= 9; answers += 3 {
		o := testOptions(t, listingLookup())
		o.Accessible = true
		ctx, cancel := context.WithCancel(context.Background())
		var out bytes.Buffer
		o.In = &cancelWhenDrained{r: strings.NewReader(strings.Repeat("\n", answers)), ctx: ctx, cancel: cancel}
		o.Out = &out
		_, err := Run(ctx, o)
		cancel()
		if !errors.Is(err, ErrAborted) {
			t.Fatalf("after %d answers: err=%v\n%s", answers, err, out.String())
		}
		if !strings.HasSuffix(out.String(), "\n") {
			t.Errorf("after %d answers the prompt's line is left open:\n%q", answers, out.String()[max(0, out.Len()-120):])
		}
	}
}
