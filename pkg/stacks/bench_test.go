package stacks

import (
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
)

// BenchmarkRender renders all five stacks of the default configuration
// (the api stack twice, for its deployment hash).
func BenchmarkRender(b *testing.B) {
	cfg := config.Defaults()
	for b.Loop() {
		if _, err := Render(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummarize parses every rendered template, as the dry run does.
func BenchmarkSummarize(b *testing.B) {
	d, err := Render(config.Defaults())
	if err != nil {
		b.Fatal(err)
	}
	ph := Placeholders(config.Defaults())
	for b.Loop() {
		if _, err := Summarize(d, ph); err != nil {
			b.Fatal(err)
		}
	}
}
