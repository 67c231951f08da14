package teardown_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/internal/golden"
	"github.com/mlflowctl/mlflowctl/internal/mototest"
	"github.com/mlflowctl/mlflowctl/pkg/teardown"
	"github.com/mlflowctl/mlflowctl/pkg/teardown/teardowntest"
)

// randomIDs are the parts of a run that differ between runs: IDs moto and
// the fakes generate, which the golden files show as <id>.
var randomIDs = regexp.MustCompile(`\b(d-[a-z0-9]+|fs-[0-9a-f]+|sg-[0-9a-f]+|vpc-[0-9a-f]+|[a-z0-9-]+_[A-Za-z0-9]{6,})\b`)

// TestDownTextIsUnchanged pins what `down` shows for a whole deployment:
// the plan as text and as JSON, what the run did (its progress lines,
// sorted because stacks of one wave are deleted concurrently) and its
// result. The recipe may move between packages; this output may not.
func TestDownTextIsUnchanged(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{ArtifactObjects: 3})
	var pr progress
	td := w.Teardown(teardown.Options{Log: pr.log})
	p := plan(t, td)
	var text bytes.Buffer
	if err := teardown.WritePlan(&text, p); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "down-plan.txt.golden"), normalize(text.Bytes()))
	planJSON, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "down-plan.json.golden"), normalize(planJSON))
	res, err := runDown(context.Background(), td)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(pr.String(), "\n")
	slices.Sort(lines)
	golden.Assert(t, filepath.Join("testdata", "down-progress.golden"), normalize([]byte(strings.Join(lines, "\n")+"\n")))
	resJSON, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "down-result.json.golden"), normalize(resJSON))
}

// TestDownKeepDataTextIsUnchanged pins the same for `down --keep-data`:
// what the plan marks kept, and the result listing what was kept.
func TestDownKeepDataTextIsUnchanged(t *testing.T) {
	srv := mototest.Start(t)
	w := teardowntest.New(t, srv.URL, "demo", teardowntest.Options{ArtifactObjects: 3})
	var pr progress
	td := w.Teardown(teardown.Options{KeepData: true, Log: pr.log})
	var text bytes.Buffer
	if err := teardown.WritePlan(&text, plan(t, td)); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "down-keep-data-plan.txt.golden"), normalize(text.Bytes()))
	res, err := runDown(context.Background(), td)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(pr.String(), "\n")
	slices.Sort(lines)
	golden.Assert(t, filepath.Join("testdata", "down-keep-data-progress.golden"), normalize([]byte(strings.Join(lines, "\n")+"\n")))
	var kept bytes.Buffer
	if err := teardown.WriteKept(&kept, res.Kept); err != nil {
		t.Fatal(err)
	}
	resJSON, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "down-keep-data-result.golden"), normalize(append(append(kept.Bytes(), '\n'), resJSON...)))
}

func normalize(b []byte) []byte {
	return randomIDs.ReplaceAll(b, []byte("<id>"))
}
