package patch

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/mlflowctl/mlflowctl/templates"
)

// PatchFile is one file of a series: a git format-patch mbox (one or more
// patches) or a plain unified diff.
type PatchFile struct {
	Name string
	Data []byte
}

// Series is the ordered list of patch files to apply.
type Series []PatchFile

// OwnPatchDir is where the project's UI patch lives in templates.FS.
const OwnPatchDir = "ui"

// OwnSeries is the project's own UI patch series (templates/ui/*.patch, in
// name order).
func OwnSeries() (Series, error) {
	names, err := fs.Glob(templates.FS, OwnPatchDir+"/*.patch")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var s Series
	for _, n := range names {
		data, err := fs.ReadFile(templates.FS, n)
		if err != nil {
			return nil, err
		}
		s = append(s, PatchFile{Name: path.Base(n), Data: data})
	}
	return s, nil
}

// UserSeries reads the patch files named in config ui.patches.
func UserSeries(paths []string) (Series, error) {
	var s Series
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, &InputError{Field: fmt.Sprintf("ui.patches[%d]", i), Msg: fmt.Sprintf("cannot read %s: %v: name an existing patch file", p, err)}
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, &InputError{Field: fmt.Sprintf("ui.patches[%d]", i), Msg: fmt.Sprintf("%s is empty: remove it from ui.patches or give it a diff", p)}
		}
		s = append(s, PatchFile{Name: p, Data: data})
	}
	return s, nil
}

// FullSeries is the project's patch followed by the user's.
func FullSeries(userPaths []string) (Series, error) {
	own, err := OwnSeries()
	if err != nil {
		return nil, err
	}
	user, err := UserSeries(userPaths)
	if err != nil {
		return nil, err
	}
	return append(own, user...), nil
}

// Hash identifies the series by content and order (not by file names), so
// a UI build can be cached by (MLflow version, Hash()).
func (s Series) Hash() string {
	h := sha256.New()
	for _, p := range s {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p.Data)))
		h.Write(n[:])
		h.Write(p.Data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// mboxFrom is the separator git format-patch writes before each patch.
var mboxFrom = regexp.MustCompile(`(?m)^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\n`)

// splitMbox cuts a format-patch mbox into single patches; go-gitdiff parses
// one patch per call. Text without separators is one plain diff.
func splitMbox(data []byte) [][]byte {
	locs := mboxFrom.FindAllIndex(data, -1)
	if len(locs) == 0 {
		return [][]byte{data}
	}
	var out [][]byte
	for i, loc := range locs {
		end := len(data)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		out = append(out, data[loc[0]:end])
	}
	return out
}

// cleanPath rejects paths that would leave the working tree.
func cleanPath(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	c := path.Clean(p)
	if path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") || c == ".git" || strings.HasPrefix(c, ".git/") {
		return "", fmt.Errorf("path %q is outside the working tree", p)
	}
	return c, nil
}
