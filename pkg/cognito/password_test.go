package cognito

import (
	"errors"
	"strings"
	"testing"
)

func TestBrokenNamesEveryRule(t *testing.T) {
	strict := PasswordPolicy{MinLength: 12, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true}
	cases := []struct {
		password string
		want     []string // substrings, one per broken rule, in order
	}{
		{"Abcdefgh1!xyz", nil},
		{"Ab1!", []string{"at least 12 characters (it has 4)"}},
		{"abcdefgh1!xyz", []string{"upper-case"}},
		{"ABCDEFGH1!XYZ", []string{"lower-case"}},
		{"Abcdefghi!xyz", []string{"number"}},
		{"Abcdefgh12xyz", []string{"symbol"}},
		{" Abcdefgh1!xyz", []string{"no space at the start or end"}},
		{"Abcdefgh1!xyz ", []string{"no space at the start or end"}},
		{"Abcdefgh1 xyz", nil}, // an inner space is one of Cognito's symbols
		{"", []string{"at least 12", "upper-case", "lower-case", "number", "symbol"}},
		{"aaaa", []string{"at least 12", "upper-case", "number", "symbol"}},
		{"Ab1!" + strings.Repeat("x", 253), []string{"at most 256 characters (it has 257)"}},
		{"Äbcdefgh1!xÿ", []string{"upper-case"}}, // Cognito counts A-Z only, and characters not bytes
	}
	for _, c := range cases {
		got := strict.Broken(c.password)
		if len(got) != len(c.want) {
			t.Errorf("Broken(%q) = %q, want %d rules %q", c.password, got, len(c.want), c.want)
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("Broken(%q)[%d] = %q, want it to mention %q", c.password, i, got[i], w)
			}
		}
	}
}

func TestRelaxedPolicyRequiresOnlyLength(t *testing.T) {
	relaxed := PasswordPolicy{MinLength: 6}
	if got := relaxed.Broken("aaaaaa"); len(got) != 0 {
		t.Fatalf("relaxed policy broke %q", got)
	}
	if got := relaxed.Broken("aaaaa"); len(got) != 1 {
		t.Fatalf("5 characters under min 6: %q", got)
	}
}

func TestCheckListsRulesButNeverThePassword(t *testing.T) {
	secret := "hunter2"
	err := DefaultPasswordPolicy.Check(secret)
	if err == nil {
		t.Fatal("weak password accepted")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error echoes the password: %v", err)
	}
	if n := strings.Count(err.Error(), "\n  - "); n != 3 {
		t.Fatalf("want 3 rules (length, upper-case, symbol), got %d: %v", n, err)
	}
	var ie *InputError
	if !errors.As(err, &ie) || ie.ExitCode() != 2 {
		t.Fatalf("want an InputError with exit code 2, got %T", err)
	}
}

func TestGenerateMeetsEveryPolicy(t *testing.T) {
	policies := []PasswordPolicy{
		DefaultPasswordPolicy,
		{MinLength: 6},
		{MinLength: 40, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true},
		{MinLength: 99, RequireSymbols: true},
	}
	for _, p := range policies {
		seen := map[string]bool{}
		for range 50 {
			pw, err := p.Generate()
			if err != nil {
				t.Fatal(err)
			}
			if broken := p.Broken(pw); len(broken) > 0 {
				t.Fatalf("policy %+v: generated password breaks %q", p, broken)
			}
			if len(pw) != max(p.MinLength, generatedLength) {
				t.Fatalf("policy %+v: length %d", p, len(pw))
			}
			if seen[pw] {
				t.Fatalf("policy %+v: the same password twice", p)
			}
			seen[pw] = true
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := DefaultPasswordPolicy.Generate(); err != nil {
			b.Fatal(err)
		}
	}
}
