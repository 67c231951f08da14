package wizard

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// runPiped runs the accessible wizard on piped answers, turning a panic
// into a test failure that shows the input.
func runPiped(t testing.TB, lk Lookup, input string) (res Result, out string, err error) {
	t.Helper()
	o := Options{Base: config.Defaults(), Path: "mlflowctl.yaml", Lookup: lk, Width: 100, Height: 40, NoColor: true, Accessible: true}
	var buf bytes.Buffer
	o.In, o.Out = strings.NewReader(input), &buf
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("panic on input %q: %v\n%s", input, p, buf.String())
		}
	}()
	res, err = Run(context.Background(), o)
	return res, buf.String(), err
}

// Issue 22 item 1: `printf '\n\n\n5\n' | mlflowctl init --accessible`
// panicked inside huh's Select.RunAccessible (an out-of-range number, then
// the end of input, indexed the options with it).
func TestAccessibleOutOfRangeThenEOFIsAnErrorNotAPanic(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, input := range []string{"\n\n\n5\n", "\n\n\n5", "\n\n\nx\n", "\nus-nowhere-1\n", "9\n"} {
		_, out, err := runPiped(t, listingLookup(), input)
		var ended *InputEndedError
		if !errors.As(err, &ended) || ended.ExitCode() != 2 {
			t.Fatalf("input %q: err=%v, want InputEndedError (exit 2)\n%s", input, err, out)
		}
		if fileExists("mlflowctl.yaml") {
			t.Fatalf("input %q wrote a file", input)
		}
	}
}

// A menu read from a pipe takes the value itself as well as its number:
// typing a region name at the numbered region menu works.
func TestAccessibleMenuTakesTheValue(t *testing.T) {
	t.Chdir(t.TempDir())
	// profile default, region by name, name, version by value, size by
	// name, studio by value, gateway no, MFA by value, no admin, write.
	in := "\neu-west-1\nbyvalue\n2.12.2\ndev\nnone\nn\noptional\n\ny\n"
	res, out, err := runPiped(t, listingLookup(), in)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c := res.Config
	if c.Region != "eu-west-1" || c.Name != "byvalue" || c.MLflowVersion != "2.12.2" || c.Studio.Enabled || c.Cognito.MFA != "optional" {
		t.Fatalf("config %+v\n%s", c, out)
	}
	if res.Answers.Preset != "dev" {
		t.Fatalf("preset %q", res.Answers.Preset)
	}
}

// A wrong answer at a menu re-asks with a message naming the choices.
func TestAccessibleBadMenuAnswerReasks(t *testing.T) {
	t.Chdir(t.TempDir())
	in := "\nmars-1\n7\n\n\n\n\n\n\n0\n\n\n\n"
	res, out, err := runPiped(t, listingLookup(), in)
	if err != nil || !res.Written {
		t.Fatalf("res=%+v err=%v\n%s", res, err, out)
	}
	for _, want := range []string{`"mars-1" is not a choice`, "7 is not between 1 and"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// Issue 22 item 5: a rejected answer followed by the end of input reached
// the summary (Bad_Name was written); now it is an error and nothing is
// written.
func TestAccessibleRejectedAnswerIsNotKept(t *testing.T) {
	t.Chdir(t.TempDir())
	_, out, err := runPiped(t, listingLookup(), "\n\nBad_Name\n")
	var ended *InputEndedError
	if !errors.As(err, &ended) || ended.Question != "Deployment name" || fileExists("mlflowctl.yaml") {
		t.Fatalf("err=%v file=%v\n%s", err, fileExists("mlflowctl.yaml"), out)
	}
}

// Issue 22 item 5: with stdin closed the wizard wrote a defaults file and
// exited 0; it needs answers, as `init` without a terminal does.
func TestAccessibleClosedInputNeedsAnswers(t *testing.T) {
	t.Chdir(t.TempDir())
	_, out, err := runPiped(t, listingLookup(), "")
	var ended *InputEndedError
	if !errors.As(err, &ended) || fileExists("mlflowctl.yaml") {
		t.Fatalf("err=%v file=%v\n%s", err, fileExists("mlflowctl.yaml"), out)
	}
}

// Issue 22 item 5: declining to deploy now kept quiet about the admin
// e-mail just typed; the command that invites them is printed instead.
func TestDecliningUpKeepsTheAdmin(t *testing.T) {
	t.Chdir(t.TempDir())
	o := Options{Base: config.Defaults(), Path: "mlflowctl.yaml", Lookup: listingLookup(), NoColor: true, Accessible: true}
	o.RunUp = func(context.Context, config.Config) error { return errors.New("must not run") }
	var out bytes.Buffer
	o.In, o.Out = strings.NewReader(strings.Repeat("\n", 7)+"0\n\nada@example.com\ny\nn\n"), &out
	res, err := Run(context.Background(), o)
	if err != nil || res.Deployed {
		t.Fatalf("res=%+v err=%v\n%s", res, err, out.String())
	}
	if !strings.Contains(out.String(), "mlflowctl users add ada@example.com --group admins --invite") {
		t.Fatalf("the admin was dropped:\n%s", out.String())
	}
}

// Terminal escapes typed (or piped) as an answer are refused, not kept.
func TestAccessibleRefusesControlCharacters(t *testing.T) {
	t.Chdir(t.TempDir())
	_, out, err := runPiped(t, failingLookup(), "\x1b[31mred\n")
	var ended *InputEndedError
	if !errors.As(err, &ended) || !strings.Contains(out, "control character") {
		t.Fatalf("err=%v\n%s", err, out)
	}
}

// FuzzAccessibleInput: no input of any kind panics, and the wizard ends
// either with a written, valid file or with an error and no file.
func FuzzAccessibleInput(f *testing.F) {
	for _, seed := range []string{"", "\n\n\n5\n", "\n\n\nx\n", "\nus-east-1\n", "\n\n\n\n\n\n\n0\n\n\n\n",
		"ci\neu-west-2\nBad Name\npipe-test\n1\n1\nnone\ny\n2 4\n0\n3\n\ny\n", "\x00\xff\n", "\r\n\r\n", "1\n99999999999999999999\n"} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, input string, failing bool) {
		dir := t.TempDir()
		lk := Lookup(listingLookup())
		if failing {
			lk = failingLookup()
		}
		o := Options{Base: config.Defaults(), Path: dir + "/mlflowctl.yaml", Lookup: lk, NoColor: true, Accessible: true}
		var out bytes.Buffer
		o.In, o.Out = strings.NewReader(input), &out
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic on %q: %v", input, p)
				}
			}()
			res, err := Run(context.Background(), o)
			if err == nil && res.Written {
				if _, lerr := config.LoadValid(config.LoadOptions{Path: o.Path, Required: true}); lerr != nil {
					t.Fatalf("input %q wrote an invalid file: %v", input, lerr)
				}
			}
			if err != nil && fileExists(o.Path) {
				t.Fatalf("input %q: error %v but a file was written", input, err)
			}
		}()
	})
}
