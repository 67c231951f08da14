package patch

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// PublicDir is the UI's public/ folder. Create React App copies it into
// build/ verbatim, except index.html, which it minifies and into which it
// adds the bundle tags. So a patch that touches only PublicDir can be
// carried to a released build instead of rebuilding the UI.
const PublicDir = "mlflow/server/js/public/"

// Anchor and head end locate the insertion in the built index.html: the
// tags go before the </head> that follows the title. CRA's html-minifier
// keeps the title element as written, in MLflow 2.0 to 3.x.
const (
	titleAnchor = "<title>MLflow</title>"
	headEnd     = "</head>"
	indexHTML   = "index.html"
)

// BuildInsertion is what a patch series adds to a built UI, derived from
// the series itself so the source and prebuilt paths add the same bytes.
type BuildInsertion struct {
	// HeadTags are the elements the series adds to public/index.html
	// before </head>, as the minified build holds them (no indentation).
	HeadTags []string
	// Files are the public/ files the series creates or changes, by their
	// path in build/ (which is their path in public/).
	Files map[string][]byte
	// Deleted are public/ files the series removes.
	Deleted []string
	// changes are the text changes to existing public/ files other than
	// index.html, applied to the build's copy (which is byte-identical).
	changes map[string]*gitdiff.File
	patchOf map[string]string
}

// SourceOnlyError says why a series cannot be carried to the released
// build: the UI has to be built from patched sources.
type SourceOnlyError struct {
	Patch  string
	Reason string
}

func (e *SourceOnlyError) Error() string {
	return fmt.Sprintf("patch %s %s", e.Patch, e.Reason)
}

// DeriveInsertion reads what s adds to the UI. It returns a
// *SourceOnlyError for the first change that only a rebuild can carry:
// anything outside PublicDir, or an index.html change other than lines
// added right before </head>.
func DeriveInsertion(s Series) (BuildInsertion, error) {
	patches, err := parseSeries(s)
	if err != nil {
		return BuildInsertion{}, err
	}
	ins := BuildInsertion{Files: map[string][]byte{}, changes: map[string]*gitdiff.File{}, patchOf: map[string]string{}}
	for _, p := range patches {
		for _, f := range p.files {
			if err := ins.add(p.name, f); err != nil {
				return BuildInsertion{}, err
			}
		}
	}
	return ins, nil
}

func (ins *BuildInsertion) add(patchName string, f *gitdiff.File) error {
	for _, name := range []string{f.OldName, f.NewName} {
		if name == "" {
			continue
		}
		if c, err := cleanPath(name); err != nil || !strings.HasPrefix(c, PublicDir) {
			return &SourceOnlyError{Patch: patchName, Reason: fmt.Sprintf("changes %s, outside %s", name, PublicDir)}
		}
	}
	oldRel, newRel := strings.TrimPrefix(f.OldName, PublicDir), strings.TrimPrefix(f.NewName, PublicDir)
	switch {
	case f.IsRename || f.IsCopy || f.IsBinary:
		return &SourceOnlyError{Patch: patchName, Reason: fmt.Sprintf("renames, copies or changes binary %s", f.NewName)}
	case oldRel == indexHTML || newRel == indexHTML:
		return ins.addHeadTags(patchName, f)
	case f.IsDelete:
		ins.Deleted = append(ins.Deleted, oldRel)
		delete(ins.Files, oldRel)
		return nil
	case f.IsNew:
		out, _, err := applyContent(patchName, newRel, nil, f)
		if err != nil {
			return err
		}
		ins.Files[newRel] = out
		return nil
	default:
		if created, ok := ins.Files[newRel]; ok {
			out, _, err := applyContent(patchName, newRel, created, f)
			ins.Files[newRel] = out
			return err
		}
		if _, ok := ins.changes[newRel]; ok {
			return &SourceOnlyError{Patch: patchName, Reason: fmt.Sprintf("changes %s again after patch %s", newRel, ins.patchOf[newRel])}
		}
		ins.changes[newRel], ins.patchOf[newRel] = f, patchName
		return nil
	}
}

// addHeadTags takes the lines a fragment adds right before </head>.
func (ins *BuildInsertion) addHeadTags(patchName string, f *gitdiff.File) error {
	if f.IsNew || f.IsDelete {
		return &SourceOnlyError{Patch: patchName, Reason: "creates or deletes public/index.html"}
	}
	for _, frag := range f.TextFragments {
		var pending []string
		for _, l := range frag.Lines {
			text := strings.TrimSpace(l.Line)
			switch l.Op {
			case gitdiff.OpDelete:
				return &SourceOnlyError{Patch: patchName, Reason: fmt.Sprintf("removes %q from public/index.html (only lines added before </head> carry to a released build)", text)}
			case gitdiff.OpAdd:
				if !strings.HasPrefix(text, "<") || !strings.HasSuffix(text, ">") {
					return &SourceOnlyError{Patch: patchName, Reason: fmt.Sprintf("adds %q to public/index.html, which is not a whole element", text)}
				}
				pending = append(pending, text)
			case gitdiff.OpContext:
				if len(pending) > 0 && text != headEnd {
					return &SourceOnlyError{Patch: patchName, Reason: fmt.Sprintf("adds lines to public/index.html before %q, not before </head>", text)}
				}
				ins.HeadTags, pending = append(ins.HeadTags, pending...), nil
			}
		}
		if len(pending) > 0 {
			return &SourceOnlyError{Patch: patchName, Reason: "adds lines at the end of public/index.html, not before </head>"}
		}
	}
	return nil
}

// AnchorError is a built index.html without the place the tags go.
type AnchorError struct{ Reason string }

func (e *AnchorError) Error() string {
	return "cannot add the login script to the released UI's index.html: " + e.Reason
}

// InsertHeadTags adds tags, once, before the </head> that follows the
// <title>MLflow</title> of a built (minified, one-line) index.html. It
// works on the HTML structure, never by line: GNU patch would put a
// line-based hunk after </html>. A missing or repeated anchor, or a tag
// already present, is an error.
func InsertHeadTags(index []byte, tags []string) ([]byte, error) {
	if n := bytes.Count(index, []byte(titleAnchor)); n != 1 {
		return nil, &AnchorError{Reason: fmt.Sprintf("it has %s %d times, want exactly once", titleAnchor, n)}
	}
	title := bytes.Index(index, []byte(titleAnchor)) + len(titleAnchor)
	end := bytes.Index(index[title:], []byte(headEnd))
	if end < 0 {
		return nil, &AnchorError{Reason: "no </head> after " + titleAnchor}
	}
	if body := bytes.Index(index[title:], []byte("<body")); body >= 0 && body < end {
		return nil, &AnchorError{Reason: "<body> starts before </head>"}
	}
	at := title + end
	for _, t := range tags {
		if bytes.Contains(index, []byte(t)) {
			return nil, &AnchorError{Reason: fmt.Sprintf("it already holds %s: is this build already patched?", t)}
		}
	}
	out := make([]byte, 0, len(index)+64)
	out = append(out, index[:at]...)
	out = append(out, strings.Join(tags, "")...)
	return append(out, index[at:]...), nil
}

// ApplyToBuild applies ins to the files of a built UI (paths relative to
// build/), in place.
func (ins BuildInsertion) ApplyToBuild(build map[string][]byte) error {
	index, ok := build[indexHTML]
	if !ok {
		return &AnchorError{Reason: "the build has no index.html"}
	}
	if len(ins.HeadTags) > 0 {
		out, err := InsertHeadTags(index, ins.HeadTags)
		if err != nil {
			return err
		}
		build[indexHTML] = out
	}
	for _, name := range sortedKeys(ins.changes) {
		src, ok := build[name]
		if !ok {
			return &InputError{Field: "patch " + ins.patchOf[name], Msg: fmt.Sprintf("changes %s%s, which the released build does not have", PublicDir, name)}
		}
		out, _, err := applyContent(ins.patchOf[name], PublicDir+name, src, ins.changes[name])
		if err != nil {
			return err
		}
		build[name] = out
	}
	for _, name := range ins.Deleted {
		delete(build, name)
	}
	for name, data := range ins.Files {
		if _, exists := build[name]; exists {
			return &InputError{Field: "patch", Msg: fmt.Sprintf("creates %s%s, which the released build already has", PublicDir, name)}
		}
		build[name] = data
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
