package login

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zalando/go-keyring"
)

// Session is one deployment's sign-in: where it is and the tokens.
type Session struct {
	Deployment  string `json:"deployment"`
	TrackingURI string `json:"trackingUri"`
	AuthDomain  string `json:"authDomain"`
	ClientID    string `json:"clientId"`
	// TokenUse is the token the deployment's authorizer accepts:
	// "access" (default) or "id".
	TokenUse string `json:"tokenUse"`
	// MLflowVersion is the server's, when known (for the pip line).
	MLflowVersion string `json:"mlflowVersion,omitempty"`
	Tokens
}

// KeyringService is the keychain entry's service name; the account is
// the deployment name.
const KeyringService = "mlflowctl"

// Where a session is kept.
const (
	InKeychain = "keychain"
	InFile     = "file"
)

// Store keeps sessions in the OS keychain (macOS Keychain, Windows
// Credential Manager, the Secret Service over D-Bus on Linux, through
// github.com/zalando/go-keyring) and, where that fails (no keychain, as on
// most servers and CI runners, or a value too big for it), in a 0600
// file under Dir.
type Store struct {
	Dir string
}

// DefaultStore keeps files under the user's config directory.
func DefaultStore() (Store, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return Store{}, fmt.Errorf("find a directory for the token file: %w", err)
	}
	return Store{Dir: filepath.Join(dir, "mlflowctl", "sessions")}, nil
}

func (s Store) file(name string) string { return filepath.Join(s.Dir, name+".json") }

// Save keeps the session and says where (InKeychain or InFile, with the
// file's path and why the keychain was not used).
func (s Store) Save(sess Session) (where string, err error) {
	data, err := json.Marshal(sess)
	if err != nil {
		return "", err
	}
	// Base64 keeps the secret one opaque line in every keychain.
	kerr := keyring.Set(KeyringService, sess.Deployment, base64.StdEncoding.EncodeToString(data))
	if kerr == nil {
		// A file left from a time without keychain would shadow nothing
		// (the keychain is read first) but would keep a secret: remove it.
		if err := os.Remove(s.file(sess.Deployment)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("remove the old token file: %w", err)
		}
		return InKeychain, nil
	}
	if err := s.writeFile(sess.Deployment, data); err != nil {
		return "", errors.Join(fmt.Errorf("keychain: %w", kerr), err)
	}
	return fmt.Sprintf("%s %s (no OS keychain: %v)", InFile, s.file(sess.Deployment), kerr), nil
}

func (s Store) writeFile(name string, data []byte) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", s.Dir, err)
	}
	// Write beside and rename, so a crash never leaves half a file; the
	// mode is set at creation, so the secret is never readable by others.
	tmp, err := os.CreateTemp(s.Dir, "."+name+"-*")
	if err != nil {
		return fmt.Errorf("write the token file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write the token file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.file(name))
}

// Load returns the deployment's session; found is false when there is none.
func (s Store) Load(name string) (sess Session, found bool, err error) {
	v, kerr := keyring.Get(KeyringService, name)
	switch {
	case kerr == nil:
		data, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return Session{}, false, fmt.Errorf("the keychain entry %s/%s is not mlflowctl's: run mlflowctl logout, then login", KeyringService, name)
		}
		return decode(data, "keychain entry")
	case !errors.Is(kerr, keyring.ErrNotFound) && !fileExists(s.file(name)):
		// No keychain here and no file either: nobody is signed in.
		return Session{}, false, nil
	}
	data, err := os.ReadFile(s.file(name))
	if errors.Is(err, os.ErrNotExist) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, fmt.Errorf("read the token file: %w", err)
	}
	return decode(data, s.file(name))
}

func decode(data []byte, what string) (Session, bool, error) {
	var sess Session
	if err := json.Unmarshal(data, &sess); err != nil {
		return Session{}, false, fmt.Errorf("read %s: %w (run mlflowctl logout, then login)", what, err)
	}
	return sess, true, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Delete forgets the deployment's session in both places.
func (s Store) Delete(name string) error {
	var errs []error
	if err := keyring.Delete(KeyringService, name); err != nil && !errors.Is(err, keyring.ErrNotFound) && !isNoKeychain(err) {
		errs = append(errs, fmt.Errorf("keychain: %w", err))
	}
	if err := os.Remove(s.file(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// isNoKeychain tells "there is no keychain service" from a failure of
// one that exists: without D-Bus or a Secret Service, go-keyring returns
// the connection error.
func isNoKeychain(err error) bool {
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"dbus", "d-bus", "secret service", "org.freedesktop", "not supported", "no such file"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
