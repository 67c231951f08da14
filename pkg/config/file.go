package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mlflowctl/mlflowctl/templates"
)

// DefaultFile is the commented configuration file `config init` writes.
func DefaultFile() []byte {
	data, err := templates.FS.ReadFile("config/mlflowctl.yaml")
	if err != nil {
		panic("embedded default config missing: " + err.Error())
	}
	return data
}

// ErrExists is returned when WriteDefault would overwrite a file.
var ErrExists = errors.New("file exists")

// WriteDefault writes the commented default file to path, refusing to
// overwrite an existing one unless force is set.
func WriteDefault(path string, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(DefaultFile()); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
