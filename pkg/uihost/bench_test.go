package uihost

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/uihost/pypifake"
)

// BenchmarkPrebuiltSite is the prebuilt path's own work per version, with
// the real wheel (skipped when it is not downloaded): the wheel from a
// local index with an empty cache (digest check included), the login
// patch put in place, and the deterministic zip Amplify gets.
func BenchmarkPrebuiltSite(b *testing.B) {
	home, _ := os.UserHomeDir()
	choice, err := Choose(config.Defaults())
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range config.SupportedMLflowVersions {
		b.Run(v, func(b *testing.B) {
			wheel, err := os.ReadFile(filepath.Join(home, ".cache", "mlflowctl", "wheels", "mlflow-"+v+"-py3-none-any.whl"))
			if err != nil {
				b.Skip("no real wheel: run .ci/setup.d/45-mlflow-wheels.sh")
			}
			ix := pypifake.New(b)
			ix.Add(v, wheel)
			for b.Loop() {
				data, _, err := Wheels{Index: ix.SimpleURL(), CacheDir: b.TempDir()}.Fetch(context.Background(), v)
				if err != nil {
					b.Fatal(err)
				}
				files, err := PrebuiltFiles(data, choice.Insertion)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := DeterministicZip(files); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
