package build

import "testing"

func BenchmarkContextZip(b *testing.B) {
	im, err := RenderPyfunc("3.18.0", PlatformAMD64)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := im.Zip(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderServerAndTag(b *testing.B) {
	cfg := testConfig("3.18.0")
	for b.Loop() {
		im, err := RenderServer(cfg, "us-east-1", PlatformAMD64)
		if err != nil {
			b.Fatal(err)
		}
		_ = im.Tag()
	}
}
