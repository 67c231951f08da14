package login

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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

// KeyringService is the keychain entries' service name; the accounts are
// <deployment>/refresh, /access and /id.
const KeyringService = "mlflowctl"

// Where a session's tokens are kept.
const (
	InKeychain = "keychain"
	InFile     = "file"
)

// Store keeps sessions. The tokens go to the OS keychain (macOS Keychain,
// Windows Credential Manager, the Secret Service over D-Bus on Linux,
// through github.com/zalando/go-keyring), one entry per token because
// Windows takes at most 2,560 bytes and macOS 4,096 per entry (go-keyring's
// ErrSetDataTooBig). Where that fails (no keychain, as on most servers and
// CI runners, or a token too big for it) they go to the 0600 file under
// Dir that always holds the session's other, public, fields.
type Store struct {
	Dir string
	// Keychain is where the tokens go first (nil: the OS keychain through
	// go-keyring). Tests give each store its own, so none swaps
	// go-keyring's package-wide provider (keyring.MockInit) under others.
	Keychain Keychain
}

// Keychain is the OS keychain as go-keyring exposes it.
type Keychain interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// osKeychain is go-keyring's OS keychain.
type osKeychain struct{}

func (osKeychain) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (osKeychain) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeychain) Delete(service, user string) error        { return keyring.Delete(service, user) }

func (s Store) keychain() Keychain {
	if s.Keychain != nil {
		return s.Keychain
	}
	return osKeychain{}
}

// DefaultStore keeps files under the user's config directory.
func DefaultStore() (Store, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return Store{}, fmt.Errorf("find a directory for the session file: %w", err)
	}
	return Store{Dir: filepath.Join(dir, "mlflowctl", "sessions")}, nil
}

func (s Store) file(name string) string { return filepath.Join(s.Dir, name+".json") }

// fileSession is the file's content: TokensIn says where the tokens are.
type fileSession struct {
	Session
	TokensIn string `json:"tokensIn"`
}

type tokenEntry struct {
	account string
	value   *string
}

func entries(name string, t *Tokens) []tokenEntry {
	return []tokenEntry{{name + "/refresh", &t.RefreshToken}, {name + "/access", &t.AccessToken}, {name + "/id", &t.IDToken}}
}

// Save keeps the session and says where its tokens went (InKeychain, or
// InFile with the path and why the keychain was not used).
func (s Store) Save(sess Session) (where string, err error) {
	tok := sess.Tokens
	var kerr error
	for _, e := range entries(sess.Deployment, &tok) {
		if kerr = s.keychain().Set(KeyringService, e.account, *e.value); kerr != nil {
			break
		}
	}
	fs := fileSession{Session: sess, TokensIn: InKeychain}
	if kerr == nil {
		fs.AccessToken, fs.IDToken, fs.RefreshToken = "", "", ""
	} else {
		s.deleteKeychain(sess.Deployment)
		fs.TokensIn = InFile
	}
	data, err := json.Marshal(fs)
	if err != nil {
		return "", err
	}
	if err := s.writeFile(sess.Deployment, data); err != nil {
		return "", err
	}
	if kerr != nil {
		return fmt.Sprintf("%s %s (no OS keychain: %v)", InFile, s.file(sess.Deployment), kerr), nil
	}
	return InKeychain, nil
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
	data, err := os.ReadFile(s.file(name))
	if errors.Is(err, os.ErrNotExist) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, fmt.Errorf("read the session file: %w", err)
	}
	var fs fileSession
	if err := json.Unmarshal(data, &fs); err != nil {
		return Session{}, false, fmt.Errorf("read %s: %w (run mlflowctl logout, then login)", s.file(name), err)
	}
	sess = fs.Session
	if fs.TokensIn == InKeychain {
		for _, e := range entries(name, &sess.Tokens) {
			v, err := s.keychain().Get(KeyringService, e.account)
			if err != nil {
				return Session{}, false, fmt.Errorf("read the token %s/%s from the keychain: %w (run mlflowctl login)", KeyringService, e.account, err)
			}
			*e.value = v
		}
	}
	return sess, true, nil
}

// Delete forgets the deployment's session in both places.
func (s Store) Delete(name string) error {
	s.deleteKeychain(name)
	if err := os.Remove(s.file(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// deleteKeychain removes the entries that exist. Errors are not
// reported: without a keychain there is nothing to remove, and with one
// a failure here leaves an entry that the next login overwrites.
func (s Store) deleteKeychain(name string) {
	var t Tokens
	for _, e := range entries(name, &t) {
		_ = s.keychain().Delete(KeyringService, e.account)
	}
}
