package build

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
)

// fakeDocker writes a stand-in for the docker CLI: `build` records its
// arguments and the context's Dockerfile, `save --output P T` copies a
// prepared `docker save` tarball (saved under tag T) to P.
func fakeDocker(t *testing.T, saved string, failBuild bool) (bin, record string) {
	t.Helper()
	dir := t.TempDir()
	record = filepath.Join(dir, "record")
	fail := ""
	if failBuild {
		fail = `echo "ERROR: failed to solve: process \"/bin/sh -c pip install\" did not complete successfully: exit code: 1"; exit 1`
	}
	script := `#!/bin/sh
case "$1" in
build)
  printf '%s\n' "$@" > "` + record + `.build"
  for last; do :; done
  cp "$last/Dockerfile" "` + record + `.dockerfile"
  echo "#1 [internal] load build definition from Dockerfile"
  ` + fail + `
  ;;
save)
  cp "` + saved + `" "$3"
  ;;
esac
`
	bin = filepath.Join(dir, "docker")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, record
}

func TestDockerBuilderBuildsAndPushesEveryTag(t *testing.T) {
	c := motoClients(t)
	var uploads atomic.Int64
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "AWS" || p != mototest.Account+"-auth-token" {
			w.Header().Set("WWW-Authenticate", `Basic realm="ecr"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") {
			uploads.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	defer rs.Close()
	host := strings.TrimPrefix(rs.URL, "http://")

	im, _ := RenderPyfunc("3.18.0", PlatformARM64)
	local := "mlflowctl-build/pyfunc:" + im.Tag()
	img, _ := random.Image(1024, 3)
	saved := filepath.Join(t.TempDir(), "saved.tar")
	tag, _ := name.NewTag(local)
	if err := tarball.WriteToFile(saved, tag, img); err != nil {
		t.Fatal(err)
	}
	bin, record := fakeDocker(t, saved, false)
	d := &Docker{ECR: c.ECR, Binary: bin, Registry: host}
	repo := "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc"
	var progress lines
	res, err := d.Build(context.Background(), Request{Image: im, RepositoryURI: repo, ExtraTags: []string{"3.18.0"}}, progress.add)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if res.Digest != want.String() || res.URI != repo+":"+im.Tag() {
		t.Fatalf("result %+v", res)
	}
	args, _ := os.ReadFile(record + ".build")
	if !strings.Contains(string(args), "--platform\nlinux/arm64\n") || !strings.Contains(string(args), "--tag\n"+local+"\n") {
		t.Errorf("docker build args:\n%s", args)
	}
	df, _ := os.ReadFile(record + ".dockerfile")
	if string(df) != string(im.Dockerfile()) {
		t.Error("docker build saw a different Dockerfile")
	}
	if uploads.Load() != 4 { // 3 layers + config, once: the second tag reuses them
		t.Errorf("%d blob uploads for two tags, want 4", uploads.Load())
	}
	for _, tg := range []string{im.Tag(), "3.18.0"} {
		ref, _ := name.ParseReference(host + "/mlflow-pyfunc:" + tg)
		got, err := remote.Image(ref, remote.WithTransport(basicTransport{}))
		if err != nil {
			t.Fatalf("%s: %v", tg, err)
		}
		if d, _ := got.Digest(); d != want {
			t.Errorf("%s is %s, want %s", tg, d, want)
		}
	}
	if !strings.Contains(progress.text(), "load build definition") {
		t.Errorf("docker output not passed on:\n%s", progress.text())
	}
}

func TestDockerBuilderReportsTheFailure(t *testing.T) {
	c := motoClients(t)
	bin, _ := fakeDocker(t, "/nonexistent", true)
	im, _ := RenderServer(testConfig("3.18.0"), "us-east-1", PlatformAMD64)
	_, err := (&Docker{ECR: c.ECR, Binary: bin}).Build(context.Background(), Request{Image: im, RepositoryURI: "r.example/x"}, nil)
	var be *BuildError
	if !errors.As(err, &be) || be.Phase != "build" || len(be.Lines) == 0 || !strings.Contains(be.Lines[len(be.Lines)-1], "exit code: 1") {
		t.Fatalf("want a BuildError with the last lines, got %v", err)
	}
}

type basicTransport struct{}

func (basicTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth("AWS", mototest.Account+"-auth-token")
	return http.DefaultTransport.RoundTrip(r)
}
