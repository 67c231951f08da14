package wizard

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// TestFullRun answers every screen with scripted keys, changing most
// defaults, and compares the written file with testdata/full_run.yaml.
func TestFullRun(t *testing.T) {
	noMLflowctlEnv(t)
	lk := listingLookup()
	o := testOptions(t, lk)
	s := start(t, o)

	s.waitFor(stepProfile)
	s.keys(down, enter) // prod (us-east-2)
	s.waitFor(stepRegion)
	s.keys(enter) // the profile's region is the default
	s.waitFor(stepName)
	s.keys(backspaces(6)...)
	s.typeText("team-a")
	s.keys(enter)
	s.waitFor(stepVersion)
	s.keys(up, enter) // 2.12.2
	s.waitFor(stepSize)
	s.keys(down, enter) // production
	s.waitFor(stepStudio)
	s.keys(down, enter) // the listed domain
	s.waitFor(stepGateway)
	s.keys(enter) // on
	s.waitFor(stepModels)
	s.keys(down, space, down, down, space, enter) // 2.x completions: add Claude Instant and Cohere Command
	s.waitFor(stepMFA)
	s.keys(down, enter) // optional
	s.waitFor(stepAdmin)
	s.typeText("ada@example.com")
	s.keys(enter)
	s.waitFor(stepSummary)
	s.keys(enter) // Write
	m := s.finish()

	res, err := m.result()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Written || res.Answers.AdminEmail != "ada@example.com" {
		t.Fatalf("result %+v", res)
	}
	data, err := os.ReadFile(o.Path)
	if err != nil {
		t.Fatal(err)
	}
	requireFile(t, data, "full_run.yaml")
	loaded, err := config.LoadValid(config.LoadOptions{Path: o.Path, Required: true})
	if err != nil {
		t.Fatalf("written file does not load and validate: %v", err)
	}
	if !reflect.DeepEqual(loaded, res.Config) {
		t.Fatalf("loaded config differs from the wizard's:\n got %+v\nwant %+v", loaded, res.Config)
	}
	if got := strings.Join(lk.domainCalls, ","); got != "prod@us-east-2" {
		t.Errorf("domains listed for %q, want prod@us-east-2", got)
	}
	if done := ansiStrip(m.render()); !strings.Contains(done, "✓ Wrote mlflowctl.yaml") ||
		!strings.Contains(done, "mlflowctl users add ada@example.com --group admins --invite") {
		t.Errorf("last screen:\n%s", done)
	}
}

func TestDefaultsWriteTheDefaultConfig(t *testing.T) {
	noMLflowctlEnv(t)
	o := testOptions(t, failingLookup())
	s := start(t, o)
	walkTo(s, stepSummary)
	s.keys(enter)
	res, err := s.finish().result()
	if err != nil {
		t.Fatal(err)
	}
	want := config.Defaults()
	want.Region = "us-east-1"
	if !reflect.DeepEqual(res.Config, want) {
		t.Fatalf("all defaults gave\n%+v\nwant\n%+v", res.Config, want)
	}
}

func TestExistingFileKeptUnlessReplaced(t *testing.T) {
	for _, replace := range []bool{false, true} {
		t.Run(map[bool]string{false: "keep", true: "replace"}[replace], func(t *testing.T) {
			o := testOptions(t, listingLookup())
			if err := os.WriteFile(o.Path, []byte("name: old\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			s := start(t, o)
			walkTo(s, stepSummary)
			s.keys(enter)
			s.waitFor(stepOverwrite)
			if replace {
				s.keys(left) // the default is "Keep it"
			}
			s.keys(enter)
			res, err := s.finish().result()
			if err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(o.Path)
			kept := string(data) == "name: old\n"
			if kept == replace || res.Written != replace || res.KeptExisting == replace {
				t.Fatalf("replace=%v: kept=%v result=%+v", replace, kept, res)
			}
		})
	}
}

func TestSummaryBackReturnsToLastQuestion(t *testing.T) {
	o := testOptions(t, listingLookup())
	s := start(t, o)
	walkTo(s, stepSummary)
	s.keys(right(), enter) // "Back"
	s.waitFor(stepAdmin)
	s.keys(esc)
	out := s.screen(stepMFA)
	if !strings.Contains(out, "9/10") || fileExists(o.Path) {
		t.Fatalf("not back at MFA, or a file was written:\n%s", out)
	}
}

// TestAccessibleFromPipe answers the plain prompts from a pipe, one line
// each; empty lines take defaults.
func TestAccessibleFromPipe(t *testing.T) {
	noMLflowctlEnv(t)
	o := testOptions(t, failingLookup())
	o.Accessible = true
	answers := strings.Join([]string{
		"ci",          // profile (typed: the look-up failed)
		"eu-west-2",   // region
		"Bad Name",    // refused, asked again
		"pipe-test",   // name
		"1",           // 2.12.2
		"1",           // dev
		"none",        // no Studio
		"y",           // gateway
		"2", "4", "0", // 2.x completions: add Claude Instant and Cohere Command, done
		"3",               // MFA on
		"not-an-address",  // refused
		"ops@example.org", // admin
		"y",               // write
	}, "\n") + "\n"
	var out bytes.Buffer
	o.In, o.Out = strings.NewReader(answers), &out
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	c := res.Config
	if c.Profile != "ci" || c.Region != "eu-west-2" || c.Name != "pipe-test" || c.MLflowVersion != "2.12.2" ||
		c.Server.CPU != 512 || c.Studio.Enabled || c.Cognito.MFA != "on" || res.Answers.AdminEmail != "ops@example.org" {
		t.Fatalf("config from the pipe: %+v\n%s", c, out.String())
	}
	if got := endpointNames(c); got != "completions,claude-instant,cohere-command" {
		t.Fatalf("endpoints %s", got)
	}
	text := out.String()
	for _, want := range []string{"Could not list the account's regions", `"Bad Name" is not a valid deployment name`,
		`"not-an-address" is not an e-mail address`, "Summary", "✓ Wrote mlflowctl.yaml"} {
		if !strings.Contains(text, want) {
			t.Errorf("accessible output lacks %q", want)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("accessible output has escape sequences")
	}
	if _, err := config.LoadValid(config.LoadOptions{Path: o.Path, Required: true}); err != nil {
		t.Fatal(err)
	}
}

func TestAccessibleFollowUps(t *testing.T) {
	o := testOptions(t, listingLookup())
	o.Accessible = true
	var deployed config.Config
	var admin string
	o.RunUp = func(_ context.Context, c config.Config) error { deployed = c; return nil }
	o.AddAdmin = func(_ context.Context, _ config.Config, email string) error { admin = email; return nil }
	// Ten questions with defaults (0 confirms the model list, the admin
	// is typed), then write, deploy, add the admin.
	answers := strings.Repeat("\n", 7) + "0\n" + "\n" + "ada@example.com\n" + "\n" + "y\n" + "\n"
	var out bytes.Buffer
	o.In, o.Out = strings.NewReader(answers), &out
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !res.Deployed || !res.AdminAdded || deployed.Name != "mlflow" || admin != "ada@example.com" {
		t.Fatalf("follow-ups: %+v deployed=%q admin=%q\n%s", res, deployed.Name, admin, out.String())
	}
}

func TestAccessibleUpDeclinedByDefault(t *testing.T) {
	o := testOptions(t, listingLookup())
	o.Accessible = true
	o.RunUp = func(context.Context, config.Config) error { return errors.New("must not run") }
	var out bytes.Buffer
	o.In, o.Out = strings.NewReader(strings.Repeat("\n", 7)+"0\n"+strings.Repeat("\n", 4)), &out
	res, err := Run(context.Background(), o)
	if err != nil || res.Deployed || !res.Written {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	if !strings.Contains(out.String(), "Deploy later with `mlflowctl up`.") {
		t.Fatalf("no hint to deploy later:\n%s", out.String())
	}
}

func endpointNames(c config.Config) string {
	var n []string
	for _, e := range c.Gateway.Endpoints {
		n = append(n, e.Name)
	}
	return strings.Join(n, ",")
}

// Ctrl-C at the offer to deploy leaves the written file and says so.
func TestLeavingAtTheDeployOffer(t *testing.T) {
	o := testOptions(t, listingLookup())
	o.RunUp = func(context.Context, config.Config) error { return errors.New("must not run") }
	var out bytes.Buffer
	o.In, o.Out = strings.NewReader("\x03"), &out // the byte a terminal sends for Ctrl-C
	res, err := followUps(context.Background(), o, Result{Written: true, Config: config.Defaults()})
	if !errors.Is(err, ErrLeftAfterWrite) || !strings.Contains(err.Error(), "mlflowctl.yaml") || res.Deployed {
		t.Fatalf("err=%v res=%+v", err, res)
	}
}

// Ctrl-C at the summary's plain prompt writes nothing, though the
// prompt's default is Write.
func TestAccessibleCtrlCAtSummaryWritesNothing(t *testing.T) {
	o := testOptions(t, listingLookup())
	o.Accessible = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	o.In = &cancelWhenDrained{r: strings.NewReader(strings.Repeat("\n", 7) + "0\n\n\n"), ctx: ctx, cancel: cancel}
	o.Out = &out
	_, err := Run(ctx, o)
	if !errors.Is(err, ErrAborted) || fileExists(o.Path) {
		t.Fatalf("err=%v, file written=%v\n%s", err, fileExists(o.Path), out.String())
	}
	if !strings.Contains(out.String(), "Write mlflowctl.yaml?") {
		t.Fatalf("never reached the summary:\n%s", out.String())
	}
}

// cancelWhenDrained plays scripted answers, then acts as Ctrl-C: it
// cancels the context and blocks like a terminal nobody types into.
type cancelWhenDrained struct {
	r      *strings.Reader
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *cancelWhenDrained) Read(p []byte) (int, error) {
	if c.r.Len() > 0 {
		return c.r.Read(p)
	}
	c.cancel()
	<-c.ctx.Done()
	return 0, io.EOF
}

// Choosing MLflow 2.x replaces the 3.x chat and embeddings defaults with
// a completions model, the only type its Bedrock provider serves.
func TestVersionChoiceKeepsModelsValid(t *testing.T) {
	o := testOptions(t, listingLookup())
	o.Accessible = true
	var out bytes.Buffer
	// Defaults but MLflow 2.12.2 (choice 1), then accept the models.
	o.In, o.Out = strings.NewReader("\n\n\n1\n\n\n\n0\n\n\n\n"), &out
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if got := endpointNames(res.Config); res.Config.MLflowVersion != "2.12.2" || got != "completions" {
		t.Fatalf("version %s endpoints %s", res.Config.MLflowVersion, got)
	}
	if !strings.Contains(out.String(), "Claude 2.1 (completions)") || strings.Contains(out.String(), "Claude 3.5 Haiku") {
		t.Fatalf("model screen for 2.x:\n%s", out.String())
	}
}
