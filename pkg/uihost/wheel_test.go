package uihost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlflowctl/mlflowctl/pkg/config"
	"github.com/mlflowctl/mlflowctl/pkg/patch"
	"github.com/mlflowctl/mlflowctl/pkg/uihost/amplifyfake"
	"github.com/mlflowctl/mlflowctl/pkg/uihost/pypifake"
)

// fixtureWheel is a small wheel whose UI build is the release's real
// build/index.html (pkg/patch/testdata) and two stand-in bundle files.
func fixtureWheel(t testing.TB, version string) []byte {
	t.Helper()
	index, err := os.ReadFile("../patch/testdata/mlflow-" + version + "/build/index.html")
	if err != nil {
		t.Fatal(err)
	}
	w, err := pypifake.Wheel(map[string][]byte{
		WheelBuildDir + "index.html":              index,
		WheelBuildDir + "static/js/main.js":       []byte("bundle"),
		WheelBuildDir + "favicon.ico":             []byte("ico"),
		"mlflow/__init__.py":                      []byte("__version__ = '" + version + "'\n"),
		"mlflow-" + version + ".dist-info/RECORD": []byte(""),
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestFetchFromEachIndexKindChecksTheDigest(t *testing.T) {
	ix := pypifake.New(t)
	name := ix.Add("3.18.0", fixtureWheel(t, "3.18.0"))
	for kind, index := range map[string]string{"json": ix.JSONURL(), "simple": ix.SimpleURL()} {
		t.Run(kind, func(t *testing.T) {
			w := Wheels{Index: index, CacheDir: t.TempDir()}
			data, f, err := w.Fetch(context.Background(), "3.18.0")
			if err != nil {
				t.Fatal(err)
			}
			if f.Name != name || sha256Hex(data) != f.SHA256 {
				t.Fatalf("got %+v", f)
			}
			ui, err := WheelUI(data)
			if err != nil || len(ui) != 3 || string(ui["static/js/main.js"]) != "bundle" {
				t.Fatalf("UI files %v (%v)", keys(ui), err)
			}
		})
	}
	t.Run("html simple page", func(t *testing.T) {
		w := Wheels{Index: ix.SimpleURL(), CacheDir: t.TempDir()}
		files, err := w.simpleFiles(context.Background())
		if err != nil || len(files) != 1 || files[0].Name != name || len(files[0].SHA256) != 64 {
			t.Fatalf("PEP 503 page read as %+v (%v)", files, err)
		}
	})
}

// TestFetchRefusesAWheelThatDoesNotMatchTheIndex: a tampered mirror (or a
// corrupted download) is not used, and nothing is cached.
func TestFetchRefusesAWheelThatDoesNotMatchTheIndex(t *testing.T) {
	ix := pypifake.New(t)
	name := ix.Add("3.18.0", fixtureWheel(t, "3.18.0"))
	ix.SetDigest(name, strings.Repeat("0", 64))
	cache := t.TempDir()
	_, _, err := Wheels{Index: ix.JSONURL(), CacheDir: cache}.Fetch(context.Background(), "3.18.0")
	var ie *IndexError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "ui.packageIndex") || !strings.Contains(err.Error(), "not using it") {
		t.Fatalf("want a digest mismatch naming ui.packageIndex, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(cache, name)); err == nil {
		t.Fatal("a wheel that failed its check was cached")
	}
}

func TestFetchUnknownVersion(t *testing.T) {
	ix := pypifake.New(t)
	ix.Add("3.18.0", fixtureWheel(t, "3.18.0"))
	_, _, err := Wheels{Index: ix.JSONURL(), CacheDir: t.TempDir()}.Fetch(context.Background(), "9.9.9")
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("want the index's 404, got %v", err)
	}
	_, _, err = Wheels{Index: ix.SimpleURL(), CacheDir: t.TempDir()}.Fetch(context.Background(), "9.9.9")
	if err == nil || !strings.Contains(err.Error(), "mlflow-9.9.9-py3-none-any.whl") {
		t.Fatalf("want the missing wheel named, got %v", err)
	}
}

// TestFetchUsesTheLocalCacheThenTheBucket: the wheel is downloaded once;
// a second machine (empty local cache) gets it from the assets bucket.
func TestFetchUsesTheLocalCacheThenTheBucket(t *testing.T) {
	ix := pypifake.New(t)
	name := ix.Add("2.12.2", fixtureWheel(t, "2.12.2"))
	bucket := motoBucket(t)
	w := Wheels{Index: ix.JSONURL(), CacheDir: t.TempDir(), Bucket: &bucket}
	for range 2 {
		if _, _, err := w.Fetch(context.Background(), "2.12.2"); err != nil {
			t.Fatal(err)
		}
	}
	if n := ix.Downloads(name); n != 1 {
		t.Fatalf("downloaded %d times, want once (then the local cache)", n)
	}
	if ok, _ := bucket.Exists(context.Background(), WheelKey(name)); !ok {
		t.Fatal("the wheel was not kept in the assets bucket")
	}
	w.CacheDir = t.TempDir()
	var lines []string
	w.Progress = func(s string) { lines = append(lines, s) }
	if _, _, err := w.Fetch(context.Background(), "2.12.2"); err != nil || ix.Downloads(name) != 1 {
		t.Fatalf("second machine: %v, downloads %d", err, ix.Downloads(name))
	}
	if !strings.Contains(strings.Join(lines, "\n"), "s3://mlflow-assets/ui/wheels/"+name) {
		t.Fatalf("progress %q", lines)
	}
}

func TestChooseThePath(t *testing.T) {
	cfg := config.Defaults()
	c, err := Choose(cfg)
	if err != nil || c.Path != PathPrebuilt || len(c.Insertion.HeadTags) != 1 {
		t.Fatalf("default: %+v %v", c, err)
	}
	cfg.UI.Build = config.UIBuildSource
	if c, _ := Choose(cfg); c.Path != PathSource || !strings.Contains(c.Reason, "ui.build is source") {
		t.Fatalf("ui.build source: %+v", c)
	}
	cfg.UI.Build = config.UIBuildAuto
	p := filepath.Join(t.TempDir(), "theme.patch")
	diff := "diff --git a/mlflow/server/js/src/theme.ts b/mlflow/server/js/src/theme.ts\n--- a/mlflow/server/js/src/theme.ts\n+++ b/mlflow/server/js/src/theme.ts\n@@ -1 +1 @@\n-a\n+b\n"
	if err := os.WriteFile(p, []byte(diff), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.UI.Patches = []string{p}
	c, err = Choose(cfg)
	if err != nil || c.Path != PathSource || !strings.Contains(c.Reason, "src/theme.ts") || !strings.Contains(c.Reason, patch.PublicDir) {
		t.Fatalf("a src/ patch: %+v %v", c, err)
	}
}

// TestPublishPrebuiltDeploysThePatchedRelease runs the prebuilt path
// against the index stand-in, moto's S3 and the Amplify fake: the hosted
// zip is the release's build with the tag once, the script and settings.
func TestPublishPrebuiltDeploysThePatchedRelease(t *testing.T) {
	for _, v := range config.SupportedMLflowVersions {
		t.Run(v, func(t *testing.T) {
			ix := pypifake.New(t)
			ix.Add(v, fixtureWheel(t, v))
			bucket := motoBucket(t)
			amp := amplifyfake.New(t, "app1/main")
			var lines []string
			p := Publisher{Bucket: bucket, Amplify: deployer(amp, &lines)}
			settings, _ := SettingsFromOutputs("us-east-1", "access", apiOutputs)
			c, err := Choose(config.Defaults())
			if err != nil {
				t.Fatal(err)
			}
			res, err := p.PublishPrebuilt(context.Background(), PrebuiltInput{MLflowVersion: v, Insertion: c.Insertion,
				Wheels: Wheels{Index: ix.JSONURL(), CacheDir: t.TempDir(), Bucket: &bucket}, AppID: "app1", Branch: "main", Settings: settings})
			if err != nil {
				t.Fatal(err)
			}
			if res.Path != PathPrebuilt || !strings.HasPrefix(res.Wheel, "mlflow-"+v+"-py3-none-any.whl sha256:") {
				t.Fatalf("result %+v", res)
			}
			site := unzip(t, amp.Uploaded(res.JobID))
			script, _ := os.ReadFile("../../templates/ui/mlflowctl-login.js")
			settingsJSON, _ := settings.JSON()
			idx := site["index.html"]
			if strings.Count(idx, "mlflowctl-login.js") != 1 || !strings.Contains(idx, `<script src="./static-files/mlflowctl-login.js"></script></head>`) ||
				site["mlflowctl-login.js"] != string(script) || site[SettingsFile] != string(settingsJSON) || site["static/js/main.js"] != "bundle" {
				t.Fatalf("hosted site %d files, index %s", len(site), idx)
			}
		})
	}
}

func TestPrebuiltFailsLoudlyWithoutTheAnchor(t *testing.T) {
	w, _ := pypifake.Wheel(map[string][]byte{WheelBuildDir + "index.html": []byte("<html><head><title>Other</title></head></html>")})
	c, _ := Choose(config.Defaults())
	_, err := PrebuiltFiles(w, c.Insertion)
	var anchor *patch.AnchorError
	if !errors.As(err, &anchor) {
		t.Fatalf("want an anchor error, got %v", err)
	}
}
