package authz

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/templates"
)

// AuthorizerHandler is the Lambda handler setting for the zip below:
// index.mjs exporting handler (runtime nodejs22.x).
const AuthorizerHandler = "index.handler"

// authorizerSources are the files of templates/authorizer that run in
// Lambda; tests, the benchmark and the README stay out of the zip.
var authorizerSources = []string{"authorizer.mjs", "index.mjs"}

// zipTime is the fixed modification time of every zip entry (the DOS
// epoch is 1980), so the bytes depend on the content alone.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// PackageAuthorizer zips the authorizer and the policy of cfg.Groups in
// memory: sorted entries, fixed time and mode, stored uncompressed (the
// bytes then do not depend on the compressor's version), so identical
// input gives identical bytes. key is where the api stack expects it in
// the assets bucket: authorizer/<sha256 of the zip>.zip.
func PackageAuthorizer(cfg config.Config) (zipBytes []byte, key string, err error) {
	policy, err := AuthorizerPolicy(cfg.Groups)
	if err != nil {
		return nil, "", err
	}
	files := map[string][]byte{"policy.json": policy}
	for _, name := range authorizerSources {
		b, err := fs.ReadFile(templates.FS, "authorizer/"+name)
		if err != nil {
			return nil, "", fmt.Errorf("authorizer source: %w", err)
		}
		files[name] = b
	}
	zipBytes, err = deterministicZip(files)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(zipBytes)
	return zipBytes, "authorizer/" + hex.EncodeToString(sum[:]) + ".zip", nil
}

func deterministicZip(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		h := &zip.FileHeader{Name: n, Method: zip.Store, Modified: zipTime}
		h.SetMode(0o644)
		f, err := w.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
