package ecr

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mlflowctl/mlflowctl/internal/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func motoECR(t *testing.T) *ecr.Client {
	t.Helper()
	srv := mototest.Start(t)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(mototest.Region))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = aws.String(srv.URL)
	return ecr.NewFromConfig(cfg)
}

func TestEnsureRepositoryAgainstMoto(t *testing.T) {
	api := motoECR(t)
	ctx := context.Background()
	repo, err := EnsureRepository(ctx, api, "mlflow-pyfunc", map[string]string{"mlflowctl:deployment": "mlflow"})
	if err != nil {
		t.Fatal(err)
	}
	want := mototest.Account + ".dkr.ecr." + mototest.Region + ".amazonaws.com/mlflow-pyfunc"
	if repo.URI != want || repo.Name != "mlflow-pyfunc" {
		t.Fatalf("repository %+v, want URI %s", repo, want)
	}
	// A repository made elsewhere without scanning gets scan on push.
	if _, err := api.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	again, err := EnsureRepository(ctx, api, "plain", nil)
	if err != nil {
		t.Fatalf("existing repository: %v", err)
	}
	if !strings.HasSuffix(again.URI, "/plain") {
		t.Fatalf("existing repository URI %q", again.URI)
	}
	for _, name := range []string{"mlflow-pyfunc", "plain"} {
		d, err := api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
		if err != nil {
			t.Fatal(err)
		}
		if sc := d.Repositories[0].ImageScanningConfiguration; sc == nil || !sc.ScanOnPush {
			t.Errorf("%s: scan on push is off", name)
		}
		lp, err := api.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String(name)})
		if err != nil {
			t.Fatalf("%s: lifecycle policy: %v", name, err)
		}
		var policy struct{ Rules []json.RawMessage }
		if err := json.Unmarshal([]byte(aws.ToString(lp.LifecyclePolicyText)), &policy); err != nil || len(policy.Rules) != 2 {
			t.Errorf("%s: lifecycle policy %s (%v)", name, aws.ToString(lp.LifecyclePolicyText), err)
		}
	}
}

func TestImageDigestAndRetagAgainstMoto(t *testing.T) {
	api := motoECR(t)
	ctx := context.Background()
	if _, err := EnsureRepository(ctx, api, "mlflow-server", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ImageDigest(ctx, api, "mlflow-server", "3.18.0-amd64-abc"); err != nil || ok {
		t.Fatalf("empty repository: found=%t err=%v", ok, err)
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("mlflow-server"),
		ImageManifest: aws.String(string(manifest)), ImageTag: aws.String("3.18.0-amd64-abc")}); err != nil {
		t.Fatal(err)
	}
	digest, ok, err := ImageDigest(ctx, api, "mlflow-server", "3.18.0-amd64-abc")
	if err != nil || !ok || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("after put: digest=%q found=%t err=%v", digest, ok, err)
	}
	if err := Retag(ctx, api, "mlflow-server", "3.18.0-amd64-abc", "3.18.0"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ImageDigest(ctx, api, "mlflow-server", "3.18.0"); err != nil || !ok {
		t.Fatalf("retagged image not found: %v", err)
	}
	if err := Retag(ctx, api, "mlflow-server", "3.18.0-amd64-abc", "3.18.0"); err != nil {
		t.Fatalf("retag twice: %v", err)
	}
}

func TestLoginFromMotoToken(t *testing.T) {
	auth, err := Login(context.Background(), motoECR(t))
	if err != nil {
		t.Fatal(err)
	}
	if auth.Username != "AWS" || auth.Password == "" || auth.Registry != mototest.Account+".dkr.ecr."+mototest.Region+".amazonaws.com" {
		t.Fatalf("login %v (password empty: %t)", auth, auth.Password == "")
	}
	if strings.Contains(auth.String(), auth.Password) {
		t.Fatal("Auth.String shows the password")
	}
}

// countingRegistry is go-containerregistry's in-memory registry behind a
// Basic-auth check (like ECR's) that counts committed blob uploads.
type countingRegistry struct {
	user, pass string
	inner      http.Handler
	mu         sync.Mutex
	uploaded   []string
}

func (r *countingRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	u, p, ok := req.BasicAuth()
	if !ok || u != r.user || p != r.pass {
		w.Header().Set("WWW-Authenticate", `Basic realm="ecr"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if strings.Contains(req.URL.Path, "/blobs/uploads/") && req.URL.Query().Get("digest") != "" &&
		(req.Method == http.MethodPut || req.Method == http.MethodPost) {
		rec := httptest.NewRecorder()
		r.inner.ServeHTTP(rec, req)
		if rec.Code == http.StatusCreated {
			r.mu.Lock()
			r.uploaded = append(r.uploaded, req.URL.Query().Get("digest"))
			r.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	r.inner.ServeHTTP(w, req)
}

func (r *countingRegistry) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.uploaded
	r.uploaded = nil
	return out
}

func layers(t testing.TB, n int) []v1.Layer {
	return layersOfSize(t, n, 4096)
}

func layersOfSize(t testing.TB, n int, size int64) []v1.Layer {
	t.Helper()
	out := make([]v1.Layer, n)
	for i := range out {
		l, err := random.Layer(size, types.DockerLayer)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = l
	}
	return out
}

func imageOf(t testing.TB, ls []v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digestOf(t *testing.T, d interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// TestPushUploadsOnlyMissingBlobs pushes to an in-memory registry that only
// accepts moto's ECR token: every blob the first time, none the second
// time, and only the changed layer (plus the new config) after a change.
func TestPushUploadsOnlyMissingBlobs(t *testing.T) {
	auth, err := Login(context.Background(), motoECR(t))
	if err != nil {
		t.Fatal(err)
	}
	reg := &countingRegistry{user: auth.Username, pass: auth.Password, inner: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(reg)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref := host + "/mlflow-pyfunc:3.18.0"
	ctx := context.Background()

	ls := layers(t, 4)
	img := imageOf(t, ls)
	digest, err := Push(ctx, img, ref, auth, PushOptions{Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	first := reg.take()
	if len(first) != 5 {
		t.Fatalf("first push uploaded %d blobs, want 5 (4 layers + config): %v", len(first), first)
	}
	t.Logf("first push: %d blobs uploaded", len(first))

	if _, err := Push(ctx, img, ref, auth, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if second := reg.take(); len(second) != 0 {
		t.Fatalf("second push of the same image uploaded %d blobs: %v", len(second), second)
	}
	// Under a new tag the manifest is new, so every blob is checked: none uploads.
	if _, err := Push(ctx, img, host+"/mlflow-pyfunc:other", auth, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if again := reg.take(); len(again) != 0 {
		t.Fatalf("same image under a new tag uploaded %d blobs: %v", len(again), again)
	}
	t.Log("second push (same tag, then a new tag): 0 blobs uploaded")

	changed := append([]v1.Layer{}, ls[:3]...)
	changed = append(changed, layers(t, 1)...)
	img2 := imageOf(t, changed)
	if _, err := Push(ctx, img2, ref, auth, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	third := reg.take()
	cfgName, err := img2.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	var layerUploads []string
	for _, d := range third {
		if d != cfgName.String() {
			layerUploads = append(layerUploads, d)
		}
	}
	if len(layerUploads) != 1 || layerUploads[0] != digestOf(t, changed[3]) {
		t.Fatalf("changed-layer push uploaded layers %v, want only %s", layerUploads, digestOf(t, changed[3]))
	}
	t.Logf("changed layer: %d layer blob + %d config blob uploaded", len(layerUploads), len(third)-len(layerUploads))

	pulledRef, err := name.ParseReference(host + "/mlflow-pyfunc@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(pulledRef, remote.WithAuth(&authn.Basic{Username: auth.Username, Password: auth.Password}))
	if err != nil {
		t.Fatal(err)
	}
	if digestOf(t, pulled) != digest {
		t.Fatalf("pulled %s, pushed %s", digestOf(t, pulled), digest)
	}
}

func TestPushRejectsWrongToken(t *testing.T) {
	reg := &countingRegistry{user: "AWS", pass: "the-right-token", inner: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(reg)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err := Push(context.Background(), imageOf(t, layers(t, 1)), host+"/x:1", Auth{Username: "AWS", Password: "wrong"}, PushOptions{})
	if err == nil {
		t.Fatal("push with a wrong token succeeded")
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error shows the password: %v", err)
	}
	if n := len(reg.take()); n != 0 {
		t.Fatalf("%d blobs uploaded without auth", n)
	}
}

func TestSplitURI(t *testing.T) {
	reg, repo := SplitURI("123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc:3.18.0")
	if reg != "123456789012.dkr.ecr.us-east-1.amazonaws.com" || repo != "mlflow-pyfunc" {
		t.Fatalf("got %q %q", reg, repo)
	}
	if _, repo := SplitURI("host:5000/a/b"); repo != "a/b" {
		t.Fatalf("got %q", repo)
	}
}
