package cognito

import (
	"net/mail"
	"regexp"
	"strings"
)

// maxUsernameLength is Cognito's limit on a username, which is the e-mail.
const maxUsernameLength = 128

var (
	localPartRe = regexp.MustCompile(`^[a-z0-9!#$%&'*+/=?^_{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_{|}~-]+)*$`)
	domainRe    = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$`)
)

// NormalizeEmail checks that s is a plain e-mail address (no display name,
// no comments, a domain with a dot) and returns it in lower case, so that
// "Alice@Example.com" and "alice@example.com" name the same user.
func NormalizeEmail(s string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(s))
	if email == "" {
		return "", inputErrorf("e-mail address is empty: give one like alice@example.com")
	}
	if len(email) > maxUsernameLength {
		return "", inputErrorf("e-mail address %q is longer than Cognito's %d characters", s, maxUsernameLength)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return "", inputErrorf("%q is not an e-mail address: give one like alice@example.com", s)
	}
	local, domain, _ := strings.Cut(email, "@")
	if !localPartRe.MatchString(local) {
		return "", inputErrorf("%q is not an e-mail address: the part before @ has characters Cognito users cannot use", s)
	}
	if !domainRe.MatchString(domain) {
		return "", inputErrorf("%q is not an e-mail address: %q is not a domain name like example.com", s, domain)
	}
	return email, nil
}
