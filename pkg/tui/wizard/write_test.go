package wizard

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// Every preset on every version, with every Studio and gateway choice,
// writes a file that validates and loads back to the same values.
func TestWriteFileRoundTrips(t *testing.T) {
	noMLflowctlEnv(t)
	dir := t.TempDir()
	for _, p := range Presets() {
		for _, v := range config.SupportedMLflowVersions {
			for _, domain := range []string{domainNew, domainNone, "d-abcdef123456"} {
				a := initialAnswers(config.Defaults(), "", "eu-west-1")
				a.Preset, a.MLflowVersion, a.Domain, a.Gateway = p.Name, v, domain, domain != domainNone
				choices := catalogue(v)
				a.Models = []string{choices[len(choices)-1].ID, choices[1].ID}
				want := a.Config(config.Defaults())
				if a.Gateway && len(want.Gateway.Endpoints) != 2 {
					t.Fatalf("%s %s %s: endpoints %+v", p.Name, v, domain, want.Gateway.Endpoints)
				}
				path := filepath.Join(dir, p.Name+v+domain+".yaml")
				if err := WriteFile(path, want, false); err != nil {
					t.Fatalf("%s %s %s: %v", p.Name, v, domain, err)
				}
				got, err := config.LoadValid(config.LoadOptions{Path: path, Required: true})
				if err != nil {
					t.Fatalf("%s %s %s: %v", p.Name, v, domain, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s %s %s: loaded\n%+v\nwant\n%+v", p.Name, v, domain, got, want)
				}
			}
		}
	}
}

func TestWriteFileNeverOverwritesUnasked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mlflowctl.yaml")
	if err := os.WriteFile(path, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, config.Defaults(), false)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "mine\n" {
		t.Fatalf("file changed to %q", data)
	}
	if err := WriteFile(path, config.Defaults(), true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !strings.HasPrefix(string(data), "# mlflowctl configuration") {
		t.Fatalf("not replaced: %q", data)
	}
}

func TestWriteFileRefusesInvalidConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mlflowctl.yaml")
	c := config.Defaults()
	c.Name = "Bad"
	var verr *config.ValidationError
	if err := WriteFile(path, c, false); !errors.As(err, &verr) {
		t.Fatalf("err = %v, want a validation error", err)
	}
	if fileExists(path) {
		t.Fatal("an invalid config was written")
	}
}

func TestLineReaderHandsOutOneLinePerRead(t *testing.T) {
	l := newLineReader(context.Background(), strings.NewReader("a\nbb\nccc"))
	buf := make([]byte, 64)
	var got []string
	for {
		n, err := l.Read(buf)
		if n > 0 {
			got = append(got, string(buf[:n]))
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if want := []string{"a\n", "bb\n", "ccc"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("reads %q, want %q", got, want)
	}
}

func TestInitialAnswersFromAnExistingFile(t *testing.T) {
	base := presetByName("production").Apply(config.Defaults())
	base.Studio.DomainID = "d-abcdef123456"
	base.Gateway.Endpoints = append(base.Gateway.Endpoints, config.Endpoint{Name: "mine", Type: "llm/v1/chat", Model: "custom.model-v1"})
	a := initialAnswers(base, "envprof", "")
	if a.Preset != "production" || a.Domain != "d-abcdef123456" || a.Profile != "envprof" {
		t.Fatalf("answers %+v", a)
	}
	if got := initialAnswers(base, "", "").Config(base); !reflect.DeepEqual(got, base) {
		t.Fatalf("unchanged answers changed the config:\n%+v\n%+v", got, base)
	}
	choices := modelChoices(base.MLflowVersion, base.Gateway.Endpoints)
	if !slices.ContainsFunc(choices, func(m Model) bool { return m.ID == "custom.model-v1" && m.Endpoint == "mine" }) {
		t.Fatal("a model of the existing file is not offered")
	}
	if slices.ContainsFunc(modelChoices("2.12.2", base.Gateway.Endpoints), func(m Model) bool { return m.ID == "custom.model-v1" }) {
		t.Fatal("a chat endpoint is offered on MLflow 2.x")
	}
}

// Ctrl-C while a plain prompt waits ends the wait without a line.
func TestLineReaderStopsWhenCancelled(t *testing.T) {
	pr, pw := io.Pipe()
	defer func() { _ = pw.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	l := newLineReader(ctx, pr)
	done := make(chan error, 1)
	go func() {
		_, err := l.Read(make([]byte, 8))
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, io.EOF) {
		t.Fatalf("Read after cancel = %v, want io.EOF", err)
	}
}
