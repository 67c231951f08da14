package uihost

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// fakeCodeBuild plays the CodeBuild project running the UI buildspec: it
// reads the uploaded sources and writes a site zip to the output key, the
// way the buildspec's post_build does.
type fakeCodeBuild struct {
	bucket Bucket
	builds []BuildRequest
	fail   error
}

func (f *fakeCodeBuild) BuildUI(ctx context.Context, req BuildRequest) error {
	f.builds = append(f.builds, req)
	if f.fail != nil {
		return f.fail
	}
	src, err := f.bucket.Get(ctx, req.SourceKey)
	if err != nil {
		return err
	}
	files := unzipBytes(src)
	site := map[string][]byte{"index.html": []byte("<html>" + string(files["public/index.html"]) + "</html>")}
	data, _ := DeterministicZip(site)
	return f.bucket.Put(ctx, req.OutputKey, data)
}

func unzipBytes(data []byte) map[string][]byte {
	out := map[string][]byte{}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return out
	}
	for _, f := range zr.File {
		if b, err := readZipFile(f); err == nil {
			out[f.Name] = b
		}
	}
	return out
}

func motoBucket(t *testing.T) Bucket {
	srv := mototest.Start(t)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.UsePathStyle = true
	})
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("mlflow-assets")}); err != nil {
		t.Fatal(err)
	}
	return Bucket{S3: client, Name: "mlflow-assets"}
}

func uiSources(t *testing.T) string {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"package.json":                `{"name":"mlflow"}`,
		"public/index.html":           "patched",
		"node_modules/react/index.js": "skip me",
		"build/index.html":            "stale",
		"src/index.tsx":               "app",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPublishBuildsOnceThenHitsTheCache(t *testing.T) {
	bucket := motoBucket(t)
	amp := newFakeAmplify(t, "app1/main")
	cb := &fakeCodeBuild{bucket: bucket}
	var lines []string
	p := Publisher{Bucket: bucket, Builder: cb, Progress: func(s string) { lines = append(lines, s) },
		Amplify: Deployer{Amplify: amplifyClient(amp.srv.URL), Poll: time.Millisecond}}
	settings, _ := SettingsFromOutputs("us-east-1", "access", apiOutputs)
	in := PublishInput{MLflowVersion: "3.18.0", SourceDir: uiSources(t), PatchHash: "abc123", AppID: "app1", Branch: "main", Settings: settings}

	first, err := p.Publish(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if first.CacheHit || len(cb.builds) != 1 || first.URL != "https://main.d1abc.amplifyapp.com/" {
		t.Fatalf("first publish %+v, builds %d", first, len(cb.builds))
	}
	src, _ := bucket.Get(context.Background(), cb.builds[0].SourceKey)
	files := unzipBytes(src)
	if _, ok := files["node_modules/react/index.js"]; ok || files["build/index.html"] != nil || string(files["src/index.tsx"]) != "app" {
		t.Fatalf("uploaded sources %v", keys(files))
	}
	site := unzipBytes(amp.jobs[first.JobID].uploaded)
	settingsJSON, _ := settings.JSON()
	if string(site[SettingsFile]) != string(settingsJSON) || !strings.Contains(string(site["index.html"]), "patched") {
		t.Fatalf("hosted site %v", keys(site))
	}

	second, err := p.Publish(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !second.CacheHit || len(cb.builds) != 1 || second.JobID == first.JobID {
		t.Fatalf("second publish %+v should hit the cache and start no build (builds %d)", second, len(cb.builds))
	}
	in.Rebuild = true
	if _, err := p.Publish(context.Background(), in); err != nil || len(cb.builds) != 2 {
		t.Fatalf("--rebuild-ui: %v, builds %d", err, len(cb.builds))
	}
	in.Rebuild, in.PatchHash = false, "def456"
	if _, err := p.Publish(context.Background(), in); err != nil || len(cb.builds) != 3 {
		t.Fatalf("a new patch hash must build: %v, builds %d", err, len(cb.builds))
	}
}

func TestPublishFailedBuildDeploysNothing(t *testing.T) {
	bucket := motoBucket(t)
	amp := newFakeAmplify(t, "app1/main")
	cb := &fakeCodeBuild{bucket: bucket, fail: errors.New("phase BUILD failed: yarn build exited 1")}
	p := Publisher{Bucket: bucket, Builder: cb, Amplify: Deployer{Amplify: amplifyClient(amp.srv.URL)}}
	settings, _ := SettingsFromOutputs("us-east-1", "access", apiOutputs)
	_, err := p.Publish(context.Background(), PublishInput{MLflowVersion: "2.12.2", SourceDir: uiSources(t),
		PatchHash: "x", AppID: "app1", Branch: "main", Settings: settings})
	if err == nil || !strings.Contains(err.Error(), "phase BUILD failed") || amp.calls["CreateDeployment"] != 0 {
		t.Fatalf("want the build's failure and no deployment, got %v (calls %v)", err, amp.calls)
	}
	if ok, _ := bucket.Exists(context.Background(), CacheKey("2.12.2", "x")); ok {
		t.Fatal("a failed build left a cache entry")
	}
}

func TestZipDirNeedsTheUIDirectory(t *testing.T) {
	if _, err := ZipDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "package.json") {
		t.Fatalf("want a clear error, got %v", err)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
