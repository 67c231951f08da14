package uihost

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/patch"
	"github.com/mlflowctl/mlflowctl/pkg/stacks"
)

// SettingsFile is the login script's settings, deployed next to the built
// UI so one build serves any deployment (see templates/ui/README.md).
const SettingsFile = patch.LoginSettingsFile

// SettingsFromOutputs builds the login script's settings from the api
// stack's outputs.
func SettingsFromOutputs(region, tokenUse string, api map[string]string) (patch.LoginSettings, error) {
	uiURL := api[stacks.OutUIURL]
	if uiURL != "" && !strings.HasSuffix(uiURL, "/") {
		uiURL += "/"
	}
	s := patch.LoginSettings{
		Region:      region,
		UserPoolID:  api[stacks.OutUserPoolID],
		ClientID:    api[stacks.OutUserPoolClientID],
		Domain:      api[stacks.OutCognitoDomain],
		RedirectURI: uiURL,
		LogoutURI:   uiURL,
		TokenUse:    tokenUse,
	}
	var missing []string
	for key, val := range map[string]string{stacks.OutUserPoolID: s.UserPoolID, stacks.OutUserPoolClientID: s.ClientID,
		stacks.OutCognitoDomain: s.Domain, stacks.OutUIURL: s.RedirectURI} {
		if val == "" {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return s, fmt.Errorf("the api stack has no output %s: run `mlflowctl up` to finish deploying it", strings.Join(missing, ", "))
	}
	return s, s.Validate()
}

// zipEpoch is the fixed modification time of every file mlflowctl zips, so
// the same files always give the same bytes.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Site returns the build output zip with extra files added (or replaced),
// re-zipped deterministically.
func Site(build []byte, extra map[string][]byte) ([]byte, error) {
	files := map[string][]byte{}
	zr, err := zip.NewReader(bytes.NewReader(build), int64(len(build)))
	if err != nil {
		return nil, fmt.Errorf("read the UI build zip: %w", err)
	}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		data, err := readZipFile(f)
		if err != nil {
			return nil, err
		}
		files[f.Name] = data
	}
	if _, ok := files["index.html"]; !ok {
		return nil, fmt.Errorf("the UI build has no index.html at its root: the build did not produce a site")
	}
	for name, data := range extra {
		files[name] = data
	}
	return DeterministicZip(files)
}

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("read %s from the UI build: %w", f.Name, err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// DeterministicZip zips files in name order with fixed times and modes.
func DeterministicZip(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		h := &zip.FileHeader{Name: n, Method: zip.Deflate, Modified: zipEpoch}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
