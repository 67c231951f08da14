package wizard

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/awsx"
	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// walkTo takes every default up to screen st.
func walkTo(s *session, st step) {
	for cur := stepProfile; cur != st; cur = nextStep(cur, s.p.current().ans) {
		s.waitFor(cur)
		s.keys(enter)
	}
	s.waitFor(st)
}

// TestScreens is a golden file per screen, reached with default answers
// and the AWS look-ups listing profiles, regions and a Studio domain.
func TestScreens(t *testing.T) {
	for _, st := range []step{stepProfile, stepRegion, stepName, stepVersion, stepSize, stepStudio,
		stepGateway, stepModels, stepMFA, stepAdmin, stepSummary} {
		t.Run(strings.ReplaceAll(stepTitles[st], " ", "_"), func(t *testing.T) {
			s := start(t, testOptions(t, listingLookup()))
			walkTo(s, st)
			requireGolden(t, s.screen(st))
		})
	}
}

// TestScreensWithoutAWS: with no credentials every look-up fails, each
// screen says what it could not list and takes a typed value.
func TestScreensWithoutAWS(t *testing.T) {
	for _, st := range []step{stepProfile, stepRegion, stepStudio} {
		t.Run(strings.ReplaceAll(stepTitles[st], " ", "_"), func(t *testing.T) {
			s := start(t, testOptions(t, failingLookup()))
			walkTo(s, st)
			out := s.screen(st)
			if !strings.Contains(out, "Could not list") && !strings.Contains(out, "No profiles") {
				t.Errorf("screen does not say what it could not list:\n%s", out)
			}
			requireGolden(t, out)
		})
	}
}

func TestSizeScreenShowsPresetCosts(t *testing.T) {
	o := testOptions(t, listingLookup())
	o.Estimate = func(c config.Config) (float64, []string) {
		return float64(c.Server.CPU*c.Server.DesiredCount)/10 + float64(c.Network.NatGateways*32),
			[]string{fmt.Sprintf("Fargate %d tasks", c.Server.DesiredCount)}
	}
	s := start(t, o)
	walkTo(s, stepSize)
	out := s.screen(stepSize)
	for _, want := range []string{"dev        ~$83/month    server", "team       ~$237/month   server", "production ~$678/month   server"} {
		if !strings.Contains(out, want) {
			t.Errorf("size screen lacks %q:\n%s", want, out)
		}
	}
}

func TestSummaryShowsEstimate(t *testing.T) {
	o := testOptions(t, listingLookup())
	o.Estimate = func(c config.Config) (float64, []string) {
		return 123.4, []string{"Aurora up to " + fmt.Sprint(c.Database.MaxCapacity) + " ACU"}
	}
	s := start(t, o)
	walkTo(s, stepSummary)
	out := s.screen(stepSummary)
	for _, want := range []string{"Estimated cost while idle: ~$123 per month", "Aurora up to 2 ACU"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestNameIsValidatedLive(t *testing.T) {
	s := start(t, testOptions(t, listingLookup()))
	walkTo(s, stepName)
	s.keys(backspaces(6)...)
	s.typeText("Bad_Name")
	s.waitFor(stepName)
	s.keys(enter) // refused: the screen stays
	out := s.screen(stepName)
	if !strings.Contains(out, "✗ use 1-20 lowercase letters") || !strings.Contains(out, `"Bad_Name" is not a valid deployment name`) {
		t.Fatalf("no live or submit error for a bad name:\n%s", out)
	}
}

func TestEscGoesBackAndKeepsAnswers(t *testing.T) {
	s := start(t, testOptions(t, listingLookup()))
	walkTo(s, stepName)
	s.keys(backspaces(6)...)
	s.typeText("keepme")
	s.keys(enter)
	s.waitFor(stepVersion)
	s.keys(esc)
	s.waitFor(stepName)
	s.keys(esc)
	s.waitFor(stepRegion)
	s.keys(esc)
	s.waitFor(stepProfile)
	s.keys(esc) // nothing before the first screen
	out := s.screen(stepProfile)
	if !strings.Contains(out, "1/10 · AWS profile") {
		t.Fatalf("not on the first screen:\n%s", out)
	}
	if got := s.p.current().ans.Name; got != "keepme" {
		t.Fatalf("name after going back = %q, want keepme", got)
	}
}

func TestCtrlCLeavesWithoutWriting(t *testing.T) {
	o := testOptions(t, listingLookup())
	s := start(t, o)
	walkTo(s, stepSummary)
	s.waitFor(stepSummary)
	s.keys(ctrlC)
	m := s.finish()
	if _, err := m.result(); !errors.Is(err, ErrAborted) {
		t.Fatalf("result error = %v, want ErrAborted", err)
	}
	if fileExists(o.Path) {
		t.Fatal("Ctrl-C wrote the file")
	}
}

func TestRegionFollowsTheProfileUntilChanged(t *testing.T) {
	s := start(t, testOptions(t, listingLookup()))
	s.waitFor(stepProfile)
	s.keys(down, enter) // prod: us-east-2
	s.waitFor(stepRegion)
	s.keys(esc)
	s.waitFor(stepProfile)
	s.keys(up, enter) // default: eu-west-1
	s.waitFor(stepRegion)
	if got := s.p.current().ans.Region; got != "eu-west-1" {
		t.Fatalf("region after switching to the default profile = %s, want eu-west-1", got)
	}
	s.keys(up, enter) // the user picks eu-central-1
	s.waitFor(stepName)
	s.keys(esc)
	s.waitFor(stepRegion)
	s.keys(esc)
	s.waitFor(stepProfile)
	s.keys(down, enter) // prod again: the chosen region stays
	out := s.screen(stepRegion)
	if got := s.p.s.ans.Region; got != "eu-central-1" {
		t.Fatalf("a chosen region changed with the profile to %s:\n%s", got, out)
	}
}

// TestScreenExistingFile and TestScreenDone are the two screens after
// the summary.
func TestScreenExistingFile(t *testing.T) {
	o := testOptions(t, listingLookup())
	if err := os.WriteFile(o.Path, []byte("name: old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(t, o)
	walkTo(s, stepSummary)
	s.keys(enter)
	requireGolden(t, s.screen(stepOverwrite))
}

func TestScreenDone(t *testing.T) {
	o := testOptions(t, listingLookup())
	s := start(t, o)
	walkTo(s, stepAdmin)
	s.typeText("ada@example.com")
	s.keys(enter)
	s.waitFor(stepSummary)
	s.keys(enter)
	m := s.finish()
	if !m.done {
		t.Fatal("the wizard did not reach its last screen")
	}
	requireGolden(t, ansiStrip(m.render()))
}

// TestScreenInColour keeps the escape sequences of one screen, so a
// change of palette shows in review; without colour there are none.
func TestScreenInColour(t *testing.T) {
	o := testOptions(t, listingLookup())
	o.NoColor = false
	s := start(t, o)
	walkTo(s, stepVersion)
	s.waitFor(stepVersion)
	if err := s.tm.Quit(); err != nil {
		t.Fatal(err)
	}
	view := s.finish().render()
	if ansiStrip(view) == view {
		t.Fatal("no colour on a colour screen")
	}
	requireGolden(t, view)

	plain := start(t, testOptions(t, listingLookup()))
	walkTo(plain, stepVersion)
	if err := plain.tm.Quit(); err != nil {
		t.Fatal(err)
	}
	if v := plain.finish().render(); strings.Contains(v, "\x1b[3") || strings.Contains(v, "\x1b[9") {
		t.Fatalf("colour codes with NoColor:\n%q", v)
	}
}

func TestLookupNoteNamesTheSetupProblem(t *testing.T) {
	s := newState(Options{Lookup: failingLookup(), NoColor: true})
	s.regionsErr = &awsx.SetupError{Problem: "no AWS credentials found", Fix: "run aws configure", Err: errors.New("long\nchain")}
	if got := strings.TrimSpace(s.lookupNote(stepRegion)); got != "Could not list the account's regions (no AWS credentials found): type the value." {
		t.Fatalf("note %q", got)
	}
}

// Esc while filtering the region list ends the filter, not the screen:
// the Enter after it picks a region.
func TestEscEndsTheRegionFilterFirst(t *testing.T) {
	s := start(t, testOptions(t, listingLookup()))
	walkTo(s, stepRegion)
	s.typeText("/")
	s.typeText("central")
	s.keys(esc, enter)
	out := s.screen(stepName)
	if got := s.p.s.ans.Region; got != "eu-central-1" {
		t.Fatalf("region %q after filtering; screen:\n%s", got, out)
	}
}

// Issue 22 item 10: on an 80x24 terminal the summary scrolled its top
// (region, name, cost) out of sight. The screen now fits.
func TestSummaryFits80x24(t *testing.T) {
	o := testOptions(t, listingLookup())
	o.Width, o.Height = 80, 24
	o.Estimate = func(config.Config) (float64, []string) {
		return 237, []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	}
	s := start(t, o)
	walkTo(s, stepSummary)
	out := s.screen(stepSummary)
	if n := strings.Count(strings.TrimRight(out, "\n"), "\n") + 1; n > 24 {
		t.Errorf("summary screen is %d lines on a 24-line terminal:\n%s", n, out)
	}
	for _, want := range []string{"Region", "Name", "Estimated cost while idle: ~$237", "Write mlflowctl.yaml?"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
