package patch

// The two helpers below serve the tests only: the binary applies a
// series to a git checkout (ApplySeries), the tests also to a bare
// directory.

// ApplyToDir applies the series to the files under dir, without git.
func ApplyToDir(dir string, s Series) ([]AppliedPatch, error) {
	patches, err := parseSeries(s)
	if err != nil {
		return nil, err
	}
	var done []AppliedPatch
	for _, p := range patches {
		ap, err := applyPatch(dir, p)
		if err != nil {
			return done, err
		}
		done = append(done, ap)
	}
	return done, nil
}

// Offsets lists every hunk that applied away from its header's line.
func (r *Result) Offsets() []Offset {
	var all []Offset
	for _, p := range r.Patches {
		all = append(all, p.Offsets...)
	}
	return all
}
