// Package keychaintest is an in-memory keychain for one test, in place of
// go-keyring's package-wide mock (keyring.MockInit swaps a global
// provider, which races between parallel tests). It answers as
// go-keyring's mock does: keyring.ErrNotFound for a missing entry, and
// Err, when set, for every Set (no OS keychain, or a token too big).
package keychaintest

import (
	"sync"

	"github.com/zalando/go-keyring"
)

// Keychain is one test's keychain.
type Keychain struct {
	// Err, when set, is what every Set returns.
	Err   error
	mu    sync.Mutex
	items map[string]string
}

// New is an empty keychain.
func New() *Keychain { return &Keychain{items: map[string]string{}} }

// Failing is a keychain whose every Set fails with err.
func Failing(err error) *Keychain { k := New(); k.Err = err; return k }

// Set stores password for service and user.
func (k *Keychain) Set(service, user, password string) error {
	if k.Err != nil {
		return k.Err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items[service+"\x00"+user] = password
	return nil
}

// Get returns the stored password.
func (k *Keychain) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.items[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

// Delete removes the entry.
func (k *Keychain) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.items[service+"\x00"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.items, service+"\x00"+user)
	return nil
}

// Len is how many entries the keychain holds.
func (k *Keychain) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.items)
}
