package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t testing.TB, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mlflowctl.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func problems(t *testing.T, err error) []Problem {
	t.Helper()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	return verr.Problems
}

func fields(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Field
	}
	return out
}

func TestDefaultsAreValid(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultFileMatchesDefaults(t *testing.T) {
	got, err := Load(LoadOptions{Path: writeFile(t, string(DefaultFile())), Required: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, Defaults()) {
		t.Fatalf("the commented default file and Defaults() differ:\nfile:     %+v\ndefaults: %+v", got, Defaults())
	}
}

func TestEveryKeyIsInTheDefaultFile(t *testing.T) {
	file := string(DefaultFile())
	for _, key := range Keys() {
		last := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(file, last+":") {
			t.Errorf("key %s is not documented in templates/config/mlflowctl.yaml", key)
		}
	}
}

func TestValidationRules(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*Config)
	}{
		{"name", func(c *Config) { c.Name = "Bad_Name" }},
		{"name", func(c *Config) { c.Name = "a-very-long-deployment-name" }},
		{"name", func(c *Config) { c.Name = "1abc" }},
		{"name", func(c *Config) { c.Name = "abc-" }},
		{"region", func(c *Config) { c.Region = "mars-1" }},
		{"accountId", func(c *Config) { c.AccountID = "12345" }},
		{"mlflowVersion", func(c *Config) { c.MLflowVersion = "3.17.0" }},
		{"mlflowVersion", func(c *Config) { c.MLflowVersion = "latest" }},
		{"network.cidr", func(c *Config) { c.Network.CIDR = "10.0.0.0" }},
		{"network.cidr", func(c *Config) { c.Network.CIDR = "10.0.0.0/8" }},
		{"network.cidr", func(c *Config) { c.Network.CIDR = "10.0.0.0/26" }},
		{"network.natGateways", func(c *Config) { c.Network.NatGateways = 0 }},
		{"network.natGateways", func(c *Config) { c.Network.NatGateways = 3 }},
		{"database.engineVersion", func(c *Config) { c.Database.EngineVersion = "sixteen" }},
		{"database.minCapacity", func(c *Config) { c.Database.MinCapacity = -1 }},
		{"database.minCapacity", func(c *Config) { c.Database.MinCapacity = 0.3 }},
		{"database.maxCapacity", func(c *Config) { c.Database.MaxCapacity = 0.5 }},
		{"database.maxCapacity", func(c *Config) { c.Database.MinCapacity, c.Database.MaxCapacity = 8, 4 }},
		{"database.deletionPolicy", func(c *Config) { c.Database.DeletionPolicy = "destroy" }},
		{"database.backupRetentionDays", func(c *Config) { c.Database.BackupRetentionDays = 40 }},
		{"server.cpu", func(c *Config) { c.Server.CPU = 300 }},
		{"server.memory", func(c *Config) { c.Server.Memory = 512 }},
		{"server.desiredCount", func(c *Config) { c.Server.DesiredCount = 0 }},
		{"server.maxCount", func(c *Config) { c.Server.MaxCount = 1 }},
		{"server.architecture", func(c *Config) { c.Server.Architecture = "amd64" }},
		{"gateway.cpu", func(c *Config) { mlflow2(c); c.Gateway.CPU = 100 }},
		{"gateway.endpoints[0].type", func(c *Config) { mlflow2(c); c.Gateway.Endpoints[0].Type = "llm/v1/chat" }},
		{"gateway.bedrockRegion", func(c *Config) { c.Gateway.BedrockRegion = "nowhere" }},
		{"gateway.endpoints[0].name", func(c *Config) { c.Gateway.Endpoints[0].Name = "bad name" }},
		{"gateway.endpoints[1].name", func(c *Config) { c.Gateway.Endpoints[1].Name = c.Gateway.Endpoints[0].Name }},
		{"gateway.endpoints[0].type", func(c *Config) { c.Gateway.Endpoints[0].Type = "chat" }},
		{"gateway.endpoints[0].model", func(c *Config) { c.Gateway.Endpoints[0].Model = " " }},
		{"authorizer.tokenUse", func(c *Config) { c.Authorizer.TokenUse = "refresh" }},
		{"authorizer.cacheTtlSeconds", func(c *Config) { c.Authorizer.CacheTTLSeconds = 4000 }},
		{"cognito.mfa", func(c *Config) { c.Cognito.MFA = "yes" }},
		{"cognito.emailDomain", func(c *Config) { c.Cognito.EmailDomain = "not a domain" }},
		{"groups", func(c *Config) { c.Groups = nil }},
		{"groups[1].name", func(c *Config) { c.Groups[1].Name = "admins" }},
		{"groups[0].name", func(c *Config) { c.Groups[0].Name = "bad group" }},
		{"groups[0].classes", func(c *Config) { c.Groups[0].Classes = nil }},
		{"groups[2].classes[0]", func(c *Config) { c.Groups[2].Classes = []string{"superuser"} }},
		{"groups[0].precedence", func(c *Config) { c.Groups[0].Precedence = -1 }},
		{"studio.domainId", func(c *Config) { c.Studio.DomainID = "my-domain" }},
		{"ui.repository", func(c *Config) { c.UI.Repository = "github.com/mlflow/mlflow" }},
		{"ui.patches[0]", func(c *Config) { c.UI.Patches = []string{""} }},
		{"ui.build", func(c *Config) { c.UI.Build = "prebuilt-always" }},
		{"ui.packageIndex", func(c *Config) { c.UI.PackageIndex = "pypi.org/simple" }},
		{"builder", func(c *Config) { c.Builder = "kaniko" }},
		{"logs.retentionDays", func(c *Config) { c.Logs.RetentionDays = 10 }},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			c := Defaults()
			tc.edit(&c)
			ps := problems(t, c.Validate())
			if len(ps) != 1 || ps[0].Field != tc.field {
				t.Fatalf("want one problem on %s, got %v", tc.field, ps)
			}
			// Every message is "what is wrong: what to do".
			if what, fix, ok := strings.Cut(ps[0].Message, ": "); !ok || what == "" || len(fix) < 8 {
				t.Errorf("message does not say how to fix it: %q", ps[0].Message)
			}
		})
	}
}

// mlflow2 switches to MLflow 2.12.2 with a gateway endpoint its Bedrock provider serves.
func mlflow2(c *Config) {
	c.MLflowVersion = "2.12.2"
	c.Gateway.Endpoints = []Endpoint{{Name: "completions", Type: "llm/v1/completions", Model: "anthropic.claude-v2:1"}}
}

func TestMLflow2WithCompletionsIsValid(t *testing.T) {
	c := Defaults()
	mlflow2(&c)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestGatewaySizeIgnoredOnMLflow3(t *testing.T) {
	c := Defaults()
	c.Gateway.CPU = 100 // no separate gateway service on 3.x
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	p := writeFile(t, "name: Bad_Name\nmlflowVersion: 9.9.9\nserver:\n  cpu: 300\n  memroy: 5\n")
	_, err := LoadValid(LoadOptions{Path: p})
	got := fields(problems(t, err))
	want := []string{"server.memroy", "name", "mlflowVersion", "server.cpu"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fields = %v, want %v", got, want)
	}
}

func TestPrecedence(t *testing.T) {
	p := writeFile(t, "name: fromfile\nserver:\n  cpu: 512\n  memory: 1024\nlogs:\n  retentionDays: 60\n")
	t.Setenv("MLFLOWCTL_NAME", "fromenv")
	t.Setenv("MLFLOWCTL_SERVER_CPU", "2048")
	t.Setenv("MLFLOWCTL_SERVER_MEMORY", "4096")
	t.Setenv("MLFLOWCTL_MLFLOW_VERSION", "2.12.2")
	c, err := Load(LoadOptions{Path: p, Overrides: map[string]any{"name": "fromflag"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "fromflag" {
		t.Errorf("flag should win over env and file: name = %q", c.Name)
	}
	if c.Server.CPU != 2048 || c.Server.Memory != 4096 {
		t.Errorf("env should win over file: server = %+v", c.Server)
	}
	if c.MLflowVersion != "2.12.2" {
		t.Errorf("env should win over defaults: mlflowVersion = %q", c.MLflowVersion)
	}
	if c.Logs.RetentionDays != 60 {
		t.Errorf("file should win over defaults: retentionDays = %d", c.Logs.RetentionDays)
	}
	if c.Database.MaxCapacity != 2 {
		t.Errorf("defaults should fill the rest: maxCapacity = %v", c.Database.MaxCapacity)
	}
}

func TestBadInputs(t *testing.T) {
	cases := []struct {
		name, file, envKey, envVal, wantField, wantText string
	}{
		{"not yaml", "name: [unclosed", "", "", "", "not valid YAML"},
		{"unknown key", "servr:\n  cpu: 1\n", "", "", "", "servr: is not a configuration key: did you mean server?"},
		{"wrong type in file", "server:\n  cpu: lots\n", "", "", "server.cpu", "whole number"},
		{"wrong type in env", "", "MLFLOWCTL_DATABASE_MAX_CAPACITY", "big", "database.maxCapacity", `"big" is not a number (from MLFLOWCTL_DATABASE_MAX_CAPACITY="big")`},
		{"bad bool in env", "", "MLFLOWCTL_UI_ENABLED", "maybe", "ui.enabled", "true or false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.file)
			if tc.envKey != "" {
				t.Setenv(tc.envKey, tc.envVal)
			}
			_, err := LoadValid(LoadOptions{Path: p})
			ps := problems(t, err)
			if tc.wantField != "" && ps[0].Field != tc.wantField {
				t.Errorf("field = %q, want %q", ps[0].Field, tc.wantField)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %q does not contain %q", err, tc.wantText)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.yaml")
	if _, err := Load(LoadOptions{Path: missing}); err != nil {
		t.Fatalf("an optional missing file should load defaults: %v", err)
	}
	_, err := Load(LoadOptions{Path: missing, Required: true})
	if ps := problems(t, err); ps[0].Field != "--config" {
		t.Fatalf("want a --config problem, got %v", ps)
	}
}

func TestWriteDefaultRefusesToOverwrite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.yaml")
	if err := WriteDefault(p, false); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("name: mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteDefault(p, false); !errors.Is(err, ErrExists) {
		t.Fatalf("want ErrExists, got %v", err)
	}
	if data, _ := os.ReadFile(p); string(data) != "name: mine\n" {
		t.Fatal("file was changed")
	}
	if err := WriteDefault(p, true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(p); string(data) != string(DefaultFile()) {
		t.Fatal("--force did not write the defaults")
	}
}

func TestEnvName(t *testing.T) {
	for key, want := range map[string]string{
		"name":                       "MLFLOWCTL_NAME",
		"mlflowVersion":              "MLFLOWCTL_MLFLOW_VERSION",
		"server.desiredCount":        "MLFLOWCTL_SERVER_DESIRED_COUNT",
		"authorizer.cacheTtlSeconds": "MLFLOWCTL_AUTHORIZER_CACHE_TTL_SECONDS",
	} {
		if got := EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
}

// Issue 22 item 6 and issue 24 item 4: a syntax error is reported alone
// with its line (it was 18 problems: the defaults' checks followed it).
func TestSyntaxErrorAlone(t *testing.T) {
	p := writeFile(t, "name: demo\n  region: us-east-1\n")
	_, err := LoadValid(LoadOptions{Path: p})
	ps := problems(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "line 2") {
		t.Fatalf("problems %v", ps)
	}
}

// Issue 24 item 4: strict types and printable values.
func TestStrictValues(t *testing.T) {
	for _, tc := range []struct{ name, file, envKey, envVal, want string }{
		{"fraction for a count", "server:\n  desiredCount: 2.7\n", "", "", "server.desiredCount: 2.7 is not a whole number"},
		{"string 0 for a bool", "ui:\n  enabled: \"0\"\n", "", "", `ui.enabled: "0" is not true or false`},
		{"number for a bool", "ui:\n  enabled: 0\n", "", "", "ui.enabled: 0 is not true or false"},
		{"0 in env for a bool", "", "MLFLOWCTL_UI_ENABLED", "0", `ui.enabled: "0" is not true or false (from MLFLOWCTL_UI_ENABLED="0")`},
		{"fraction in env", "", "MLFLOWCTL_SERVER_DESIRED_COUNT", "2.7", `"2.7" is not a whole number (from MLFLOWCTL_SERVER_DESIRED_COUNT="2.7")`},
		{"terminal escape", "name: \"ok\\e[2J\"\n", "", "", "name: has a control character"},
		{"escape in env", "", "MLFLOWCTL_NAME", "x\x1b]0;pwned\x07", "name: has a control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.file)
			if tc.envKey != "" {
				t.Setenv(tc.envKey, tc.envVal)
			}
			_, err := LoadValid(LoadOptions{Path: p})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// Issue 24 item 4: keys that differ only in case are refused (which one
// won was the YAML library's choice).
func TestKeysDifferingInCase(t *testing.T) {
	p := writeFile(t, "name: one\nName: two\nserver:\n  cpu: 512\n  CPU: 1024\n")
	_, err := LoadValid(LoadOptions{Path: p})
	if err == nil || !strings.Contains(err.Error(), "name: differs from Name only in case") || !strings.Contains(err.Error(), "server.cpu: differs from server.CPU") {
		t.Fatalf("error %v", err)
	}
}

// Issue 22 item 6: a misspelt MLFLOWCTL_ variable is reported with the
// nearest real one; unknown keys name the nearest known key.
func TestMisspeltVariableAndKey(t *testing.T) {
	t.Setenv("MLFLOWCTL_SERVER_DESIRED_CUONT", "3")
	p := writeFile(t, "server:\n  desiredcount: 3\n")
	_, err := LoadValid(LoadOptions{Path: p})
	for _, want := range []string{"MLFLOWCTL_SERVER_DESIRED_CUONT: is not a configuration variable: did you mean MLFLOWCTL_SERVER_DESIRED_COUNT?"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want %q", err, want)
		}
	}
}

// Issue 24 item 4: a huge file is refused before it is parsed.
func TestHugeFileRefused(t *testing.T) {
	p := writeFile(t, "name: demo\n#"+strings.Repeat("x", MaxFileBytes)+"\n")
	_, err := LoadValid(LoadOptions{Path: p})
	if err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Fatalf("error %v", err)
	}
}

// Issue 24 item 4: loading is linear in the number of unknown keys
// (viper's merge compared each key with every other: 40,000 unknown keys
// took 107 s). Reported as a benchmark; run with -bench Unknown.
func BenchmarkUnknownKeys(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		var sb strings.Builder
		sb.WriteString("name: demo\n")
		for i := range n {
			fmt.Fprintf(&sb, "unknownkey%d: 1\n", i)
		}
		p := writeFile(b, sb.String())
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				_, _ = LoadValid(LoadOptions{Path: p})
			}
		})
	}
}

// Duplicate keys and YAML aliases are refused with their line.
func TestDuplicateKeysAndAliases(t *testing.T) {
	for file, want := range map[string]string{
		"name: one\nname: two\n":                      `line 2: key "name" appears twice`,
		"a: &x [1, 2]\nb: *x\n":                       "line 1: anchors and aliases",
		"- just\n- a list\n":                          "line 1: the file must be a mapping",
		"name: demo\nserver:\n  cpu: 512\n  cpu: 2\n": `line 4: key "cpu" appears twice`,
	} {
		_, err := LoadValid(LoadOptions{Path: writeFile(t, file)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", file, err, want)
		}
	}
}

// Issue 24 item 4: ~80 groups made the studio template exceed
// CloudFormation's 1 MB; validation says so before anything renders.
func TestTooManyGroupsForStudio(t *testing.T) {
	c := Defaults()
	c.Studio.Enabled = true
	for i := len(c.Groups); i <= MaxGroupsWithStudio; i++ {
		c.Groups = append(c.Groups, Group{Name: fmt.Sprintf("team-%03d", i), Classes: []string{"read"}})
	}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "more than the 50 the studio stack's template can hold") {
		t.Fatalf("error %v", err)
	}
	c.Studio.Enabled = false
	if err := c.Validate(); err != nil {
		t.Fatalf("without Studio the groups are fine: %v", err)
	}
}

// Issue 22 item 13: China and GovCloud regions rendered with the aws
// partition's suffixes; they are refused clearly.
func TestOtherPartitionsRefused(t *testing.T) {
	for _, r := range []string{"cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-isob-east-1"} {
		if err := ValidateRegion(r); err == nil || !strings.Contains(err.Error(), "partition, which mlflowctl does not support") {
			t.Errorf("%s: %v", r, err)
		}
	}
	if err := ValidateRegion("us-east-1"); err != nil {
		t.Error(err)
	}
}

// A task smaller than the server's measured peak (pkg/build
// TestServerRuntimeWithRealMLflow) is refused, naming the minimum.
func TestServerMemoryTheVersionNeeds(t *testing.T) {
	for _, version := range SupportedMLflowVersions {
		c := Defaults()
		if version != DefaultMLflowVersion {
			mlflow2(&c)
		}
		c.Server.CPU, c.Server.Memory = 256, 512
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "server.memory") || !strings.Contains(err.Error(), "use at least 1024 MiB") {
			t.Errorf("MLflow %s in 256 CPU / 512 MiB: %v, want server.memory refused naming 1024 MiB", version, err)
		}
		c.Server.Memory = 1024
		if err := c.Validate(); err != nil {
			t.Errorf("MLflow %s in 256 CPU / 1024 MiB: %v", version, err)
		}
		c.Server.Image = "example.com/own:1" // a custom image's needs are its own
		c.Server.Memory = 512
		if err := c.Validate(); err != nil && strings.Contains(err.Error(), "server.memory") {
			t.Errorf("custom image: %v", err)
		}
	}
}
