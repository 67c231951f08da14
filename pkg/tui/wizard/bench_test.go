package wizard

import (
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// BenchmarkSummary is the summary screen's render, redone on every frame.
func BenchmarkSummary(b *testing.B) {
	s := newState(Options{Base: config.Defaults(), Path: "mlflowctl.yaml", Lookup: listingLookup(), Width: 100})
	for b.Loop() {
		_ = s.summary()
	}
}

// BenchmarkMarshal is writing mlflowctl.yaml's bytes.
func BenchmarkMarshal(b *testing.B) {
	c := config.Defaults()
	for b.Loop() {
		if _, err := Marshal(c); err != nil {
			b.Fatal(err)
		}
	}
}
