package cognito

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Cognito's fixed limits and its symbol set, from the AdminSetUserPassword
// and PasswordPolicyType documentation.
const (
	maxPasswordLength = 256
	cognitoSymbols    = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "
	// generatedLength is the length of generated passwords unless the
	// policy asks for more: about 125 bits from a 78-character alphabet.
	generatedLength = 20
)

// PasswordPolicy is what a user pool demands of passwords.
type PasswordPolicy struct {
	MinLength        int  `json:"minLength"`
	RequireUppercase bool `json:"requireUppercase"`
	RequireLowercase bool `json:"requireLowercase"`
	RequireNumbers   bool `json:"requireNumbers"`
	RequireSymbols   bool `json:"requireSymbols"`
}

// DefaultPasswordPolicy is Cognito's policy for a pool created without one.
var DefaultPasswordPolicy = PasswordPolicy{
	MinLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true,
}

func policyFrom(p *types.UserPoolPolicyType) PasswordPolicy {
	if p == nil || p.PasswordPolicy == nil {
		return DefaultPasswordPolicy
	}
	pp := p.PasswordPolicy
	policy := PasswordPolicy{
		MinLength:        int(aws.ToInt32(pp.MinimumLength)),
		RequireUppercase: pp.RequireUppercase,
		RequireLowercase: pp.RequireLowercase,
		RequireNumbers:   pp.RequireNumbers,
		RequireSymbols:   pp.RequireSymbols,
	}
	if policy.MinLength == 0 {
		policy.MinLength = DefaultPasswordPolicy.MinLength
	}
	return policy
}

// Broken lists every rule of the policy (and of Cognito itself) that
// password breaks, in plain words; none means the password is acceptable.
// The password itself never appears in the result.
func (p PasswordPolicy) Broken(password string) []string {
	var broken []string
	n := utf8.RuneCountInString(password)
	if n < p.MinLength {
		broken = append(broken, fmt.Sprintf("at least %d characters (it has %d)", p.MinLength, n))
	}
	if n > maxPasswordLength {
		broken = append(broken, fmt.Sprintf("at most %d characters (it has %d)", maxPasswordLength, n))
	}
	if p.RequireUppercase && !strings.ContainsFunc(password, isUpper) {
		broken = append(broken, "an upper-case letter (A-Z)")
	}
	if p.RequireLowercase && !strings.ContainsFunc(password, isLower) {
		broken = append(broken, "a lower-case letter (a-z)")
	}
	if p.RequireNumbers && !strings.ContainsFunc(password, isDigit) {
		broken = append(broken, "a number (0-9)")
	}
	if p.RequireSymbols && !strings.ContainsFunc(password, isSymbol) {
		broken = append(broken, "a symbol, one of "+strings.TrimSpace(cognitoSymbols))
	}
	if password != "" && strings.TrimFunc(password, unicode.IsSpace) != password {
		broken = append(broken, "no space at the start or end")
	}
	return broken
}

// Check returns an InputError naming every rule password breaks.
func (p PasswordPolicy) Check(password string) error {
	broken := p.Broken(password)
	if len(broken) == 0 {
		return nil
	}
	return inputErrorf("the password does not meet the user pool's policy; it needs:\n  - %s", strings.Join(broken, "\n  - "))
}

func isUpper(r rune) bool  { return r >= 'A' && r <= 'Z' }
func isLower(r rune) bool  { return r >= 'a' && r <= 'z' }
func isDigit(r rune) bool  { return r >= '0' && r <= '9' }
func isSymbol(r rune) bool { return strings.ContainsRune(cognitoSymbols, r) }

// Character classes of generated passwords. The symbols avoid quotes,
// backslashes and spaces so the password survives copy and paste into a
// shell or a login form.
var generatedClasses = []string{
	"ABCDEFGHJKLMNPQRSTUVWXYZ",
	"abcdefghijkmnopqrstuvwxyz",
	"23456789",
	"!#%*+-=?@^_",
}

// Generate returns a random password from crypto/rand that meets the
// policy: every character class at least once, generatedLength characters
// or the policy's minimum if that is longer.
func (p PasswordPolicy) Generate() (string, error) {
	length := max(p.MinLength, generatedLength)
	chars := make([]byte, 0, length)
	for _, class := range generatedClasses {
		c, err := pick(class)
		if err != nil {
			return "", err
		}
		chars = append(chars, c)
	}
	all := strings.Join(generatedClasses, "")
	for len(chars) < length {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		chars = append(chars, c)
	}
	if err := shuffle(chars); err != nil {
		return "", err
	}
	return string(chars), nil
}

func pick(from string) (byte, error) {
	i, err := randInt(len(from))
	if err != nil {
		return 0, err
	}
	return from[i], nil
}

// shuffle is a Fisher-Yates shuffle, so the mandatory characters are not
// always at the front.
func shuffle(b []byte) error {
	for i := len(b) - 1; i > 0; i-- {
		j, err := randInt(i + 1)
		if err != nil {
			return err
		}
		b[i], b[j] = b[j], b[i]
	}
	return nil
}

func randInt(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("generate a password: %w", err)
	}
	return int(v.Int64()), nil
}
