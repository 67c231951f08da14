package patch

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// Offset records a hunk that applied at another line than its header says.
type Offset struct {
	Patch string
	File  string
	Hunk  string
	Want  int // 1-based line the hunk header names
	Found int // 1-based line it applied at
}

func (o Offset) String() string {
	return fmt.Sprintf("%s: %s: hunk %s applied at line %d (offset %+d lines)", o.Patch, o.File, o.Hunk, o.Found, o.Found-o.Want)
}

// AppliedPatch is one patch of the series, applied.
type AppliedPatch struct {
	Name    string // patch file, with "#n" for the n-th patch of an mbox
	Title   string
	Files   []string
	Offsets []Offset
	Commit  string // set when committed to git
}

// ConflictError is a hunk whose old lines are nowhere in the file.
type ConflictError struct {
	Patch       string
	File        string
	Hunk        string
	Expected    []string
	ClosestLine int // 1-based; 0 when the file is empty
	Closest     []string
	Matching    int // lines of Closest equal to Expected at the same place
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "patch %s: hunk %s does not apply to %s\n", e.Patch, e.Hunk, e.File)
	b.WriteString("expected context:\n")
	writeQuoted(&b, e.Expected)
	if e.ClosestLine == 0 {
		b.WriteString("closest lines found: none (the file is empty)\n")
	} else {
		fmt.Fprintf(&b, "closest lines found (line %d, %d of %d lines match):\n", e.ClosestLine, e.Matching, len(e.Expected))
		writeQuoted(&b, e.Closest)
	}
	b.WriteString("fix: regenerate the patch against this MLflow version, or remove it from ui.patches")
	return b.String()
}

// ExitCode marks a conflict as bad input: the patch does not fit the version.
func (e *ConflictError) ExitCode() int { return 2 }

func writeQuoted(b *strings.Builder, lines []string) {
	for _, l := range lines {
		fmt.Fprintf(b, "  | %s\n", strings.TrimRight(l, "\n"))
	}
}

// parsedPatch is one patch out of a series file.
type parsedPatch struct {
	name   string
	header *gitdiff.PatchHeader
	files  []*gitdiff.File
}

// parseSeries splits every file of the series into patches and parses them,
// so a malformed patch fails before anything is written.
func parseSeries(s Series) ([]parsedPatch, error) {
	var out []parsedPatch
	for _, pf := range s {
		parts := splitMbox(pf.Data)
		for i, raw := range parts {
			name := pf.Name
			if len(parts) > 1 {
				name = fmt.Sprintf("%s#%d", pf.Name, i+1)
			}
			files, preamble, err := gitdiff.Parse(bytes.NewReader(raw))
			if err != nil {
				return nil, &InputError{Field: "patch " + name, Msg: fmt.Sprintf("is not a unified diff or format-patch mail: %v", err)}
			}
			if len(files) == 0 {
				return nil, &InputError{Field: "patch " + name, Msg: "contains no file changes: check it is a diff"}
			}
			hdr, err := gitdiff.ParsePatchHeader(preamble)
			if err != nil {
				hdr = &gitdiff.PatchHeader{}
			}
			if !isGitDiff(raw) {
				stripPrefix(files)
			}
			out = append(out, parsedPatch{name: name, header: hdr, files: files})
		}
	}
	return out, nil
}

// isGitDiff tells git's diffs, whose a/ b/ prefixes go-gitdiff already
// removed, from traditional ones.
func isGitDiff(raw []byte) bool {
	return bytes.HasPrefix(raw, []byte("diff --git ")) || bytes.Contains(raw, []byte("\ndiff --git "))
}

// stripPrefix drops the first path component of traditional diffs, as
// `git apply` (-p1) and `patch -p1` do.
func stripPrefix(files []*gitdiff.File) {
	strip := func(name string) string {
		if i := strings.IndexByte(name, '/'); i >= 0 {
			return name[i+1:]
		}
		return name
	}
	for _, f := range files {
		f.OldName, f.NewName = strip(f.OldName), strip(f.NewName)
	}
}

func applyPatch(dir string, p parsedPatch) (AppliedPatch, error) {
	ap := AppliedPatch{Name: p.name, Title: p.header.Title}
	for _, f := range p.files {
		touched, offsets, err := applyFile(dir, p.name, f)
		if err != nil {
			return ap, err
		}
		ap.Files = append(ap.Files, touched...)
		ap.Offsets = append(ap.Offsets, offsets...)
	}
	return ap, nil
}

// applyFile applies one file's changes and returns the paths it touched.
func applyFile(dir, patchName string, f *gitdiff.File) ([]string, []Offset, error) {
	oldName, err := cleanPath(f.OldName)
	if err != nil {
		return nil, nil, &InputError{Field: "patch " + patchName, Msg: err.Error()}
	}
	newName, err := cleanPath(f.NewName)
	if err != nil {
		return nil, nil, &InputError{Field: "patch " + patchName, Msg: err.Error()}
	}
	display := newName
	if f.IsDelete {
		display = oldName
	}
	src, oldMode, err := readSource(dir, patchName, oldName, newName, f)
	if err != nil {
		return nil, nil, err
	}
	out, offsets, err := applyContent(patchName, display, src, f)
	if err != nil {
		return nil, nil, err
	}
	if f.IsDelete {
		if len(out) != 0 {
			return nil, nil, &InputError{Field: "patch " + patchName, Msg: fmt.Sprintf("deletes %s but the file has content the patch does not remove", oldName)}
		}
		return []string{oldName}, offsets, removeFile(dir, oldName)
	}
	mode := oldMode
	if f.NewMode != 0 {
		mode = f.NewMode
	}
	if err := writeFile(dir, newName, out, mode); err != nil {
		return nil, nil, err
	}
	touched := []string{newName}
	if f.IsRename && oldName != newName {
		if err := removeFile(dir, oldName); err != nil {
			return nil, nil, err
		}
		touched = append(touched, oldName)
	}
	return touched, offsets, nil
}

// gitRegular is git's mode for a plain file; gitdiff keeps git's raw modes.
const (
	gitRegular    os.FileMode = 0o100644
	gitExecutable os.FileMode = 0o100755
	gitSymlink    os.FileMode = 0o120000
)

func readSource(dir, patchName, oldName, newName string, f *gitdiff.File) ([]byte, os.FileMode, error) {
	if f.IsNew {
		if _, err := os.Lstat(filepath.Join(dir, newName)); err == nil {
			return nil, 0, &InputError{Field: "patch " + patchName, Msg: fmt.Sprintf("creates %s, which already exists: the patch was made for another version", newName)}
		}
		return nil, gitRegular, nil
	}
	full := filepath.Join(dir, oldName)
	fi, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, &InputError{Field: "patch " + patchName, Msg: fmt.Sprintf("changes %s, which does not exist here: the patch was made for another version", oldName)}
	}
	if err != nil {
		return nil, 0, err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(full)
		return []byte(target), gitSymlink, err
	}
	data, err := os.ReadFile(full)
	mode := gitRegular
	if fi.Mode()&0o111 != 0 {
		mode = gitExecutable
	}
	return data, mode, err
}

func applyContent(patchName, file string, src []byte, f *gitdiff.File) ([]byte, []Offset, error) {
	if f.IsBinary {
		var out bytes.Buffer
		if err := gitdiff.Apply(&out, bytes.NewReader(src), f); err != nil {
			return nil, nil, &InputError{Field: "patch " + patchName, Msg: fmt.Sprintf("binary change to %s does not apply: %v", file, err)}
		}
		return out.Bytes(), nil, nil
	}
	if len(f.TextFragments) == 0 {
		return src, nil, nil
	}
	return applyText(patchName, file, src, f.TextFragments)
}

func writeFile(dir, name string, data []byte, mode os.FileMode) error {
	full := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	if mode&0o170000 == gitSymlink {
		_ = os.Remove(full)
		return os.Symlink(string(data), full)
	}
	perm := os.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	if err := os.WriteFile(full, data, perm); err != nil {
		return err
	}
	// WriteFile keeps the mode of an existing file; a mode change needs Chmod.
	return os.Chmod(full, perm)
}

func removeFile(dir, name string) error {
	err := os.Remove(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
