package patch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// BenchmarkApplyTextWithOffsets: 50 hunks against a 20,000-line file whose
// lines all moved down by 3, so every hunk needs the offset search.
func BenchmarkApplyTextWithOffsets(b *testing.B) {
	var diff strings.Builder
	diff.WriteString("--- a/f.txt\n+++ b/f.txt\n")
	for h := 0; h < 50; h++ {
		n := 100 + h*380
		fmt.Fprintf(&diff, "@@ -%d,3 +%d,3 @@\n line %d\n-line %d\n+changed %d\n line %d\n", n, n, n, n+1, n+1, n+2)
	}
	files, _, err := gitdiff.Parse(strings.NewReader(diff.String()))
	if err != nil {
		b.Fatal(err)
	}
	src := []byte("x\ny\nz\n" + numbered(20000))
	b.ReportAllocs()
	for b.Loop() {
		if _, offs, err := applyText("bench", "f.txt", src, files[0].TextFragments); err != nil || len(offs) != 50 {
			b.Fatalf("%v, %d offsets", err, len(offs))
		}
	}
}

// BenchmarkOpenCached is the cost of re-using a cached clone (marker,
// open, resolve the ref, walk the tree checking every blob is present).
func BenchmarkOpenCached(b *testing.B) {
	s := startGitServer(b)
	co, err := Clone(testCtx(b), s.opts(b, b.TempDir(), "v3.0.0"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := openCached(co.Dir); err != nil {
			b.Fatal(err)
		}
	}
}
