package patch

import (
	"bytes"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// applyText applies hunks in order. Unlike go-gitdiff's strict applier, a
// hunk whose old lines sit at another line (the file grew or shrank above
// it) still applies, nearest position first, like `git apply`; context
// must match exactly (no fuzz), so a wrong fit is not silently accepted.
func applyText(patchName, file string, src []byte, frags []*gitdiff.TextFragment) ([]byte, []Offset, error) {
	lines := splitLines(src)
	var out []string
	var offsets []Offset
	next, drift := 0, 0 // first unconsumed source line; last hunk's offset, tried first for the next
	for _, frag := range frags {
		old, repl := fragmentSides(frag)
		header := int(frag.OldPosition) - 1
		if frag.OldLines == 0 {
			header = int(frag.OldPosition) // a pure insertion goes after that line
		}
		want := header + drift
		at, ok := findHunk(lines, old, want, next, anchor(frag))
		if !ok {
			return nil, nil, conflict(patchName, file, frag, lines, old, want)
		}
		// Reported against the header's line, as `patch` does.
		if at != header {
			offsets = append(offsets, Offset{Patch: patchName, File: file, Hunk: hunkHeader(frag), Want: header + 1, Found: at + 1})
		}
		drift = at - header
		out = append(out, lines[next:at]...)
		out = append(out, repl...)
		next = at + len(old)
	}
	out = append(out, lines[next:]...)
	return []byte(strings.Join(out, "")), offsets, nil
}

// splitLines keeps each line's "\n" so a missing final newline survives.
func splitLines(src []byte) []string {
	if len(src) == 0 {
		return nil
	}
	var lines []string
	for len(src) > 0 {
		i := bytes.IndexByte(src, '\n')
		if i < 0 {
			lines = append(lines, string(src))
			break
		}
		lines = append(lines, string(src[:i+1]))
		src = src[i+1:]
	}
	return lines
}

func fragmentSides(frag *gitdiff.TextFragment) (old, repl []string) {
	for _, l := range frag.Lines {
		if l.Old() {
			old = append(old, l.Line)
		}
		if l.New() {
			repl = append(repl, l.Line)
		}
	}
	return old, repl
}

type anchorKind int

const (
	anchorNone  anchorKind = iota
	anchorStart            // no leading context: the hunk starts the file
	anchorEnd              // no trailing context: the hunk ends the file
)

// anchor follows git: a hunk with context on one side only is pinned to
// the start or end of the file.
func anchor(frag *gitdiff.TextFragment) anchorKind {
	switch {
	case frag.LeadingContext == 0 && frag.TrailingContext > 0 && frag.OldPosition <= 1:
		return anchorStart
	case frag.TrailingContext == 0 && frag.LeadingContext > 0:
		return anchorEnd
	}
	return anchorNone
}

// findHunk searches outward from want for the old lines, never before
// min (hunks apply in order and do not overlap).
func findHunk(lines, old []string, want, minStart int, a anchorKind) (int, bool) {
	last := len(lines) - len(old)
	if last < minStart {
		return 0, false
	}
	switch a {
	case anchorStart:
		return 0, minStart == 0 && matchAt(lines, old, 0)
	case anchorEnd:
		return last, matchAt(lines, old, last)
	}
	want = max(minStart, min(want, last))
	for d := 0; want-d >= minStart || want+d <= last; d++ {
		if up := want - d; up >= minStart && matchAt(lines, old, up) {
			return up, true
		}
		if down := want + d; d > 0 && down <= last && matchAt(lines, old, down) {
			return down, true
		}
	}
	return 0, false
}

func matchAt(lines, old []string, at int) bool {
	for i, l := range old {
		if lines[at+i] != l {
			return false
		}
	}
	return true
}

// conflict builds the report, with the window of the file that shares the
// most lines with the hunk (nearest to where it was expected on ties).
func conflict(patchName, file string, frag *gitdiff.TextFragment, lines, old []string, want int) *ConflictError {
	e := &ConflictError{Patch: patchName, File: file, Hunk: hunkHeader(frag), Expected: old}
	if len(lines) == 0 {
		return e
	}
	size := min(len(old), len(lines))
	best, bestScore, bestDist := 0, -1, 0
	for at := 0; at+size <= len(lines); at++ {
		score := 0
		for i := 0; i < size; i++ {
			if lines[at+i] == old[i] {
				score++
			}
		}
		dist := abs(at - want)
		if score > bestScore || (score == bestScore && dist < bestDist) {
			best, bestScore, bestDist = at, score, dist
		}
	}
	e.ClosestLine = best + 1
	e.Closest = lines[best : best+size]
	e.Matching = bestScore
	return e
}

func hunkHeader(frag *gitdiff.TextFragment) string {
	return strings.TrimSpace(strings.SplitN(frag.Header(), "\n", 2)[0])
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
