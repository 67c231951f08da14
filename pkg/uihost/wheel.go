package uihost

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultPackageIndex is PyPI's simple API (PEP 691), the default ui.packageIndex.
const DefaultPackageIndex = "https://pypi.org/simple"

// maxWheelBytes bounds a download: mlflow wheels are 12-30 MB.
const maxWheelBytes = 256 << 20

// WheelBuildDir is where an mlflow wheel carries the built UI.
const WheelBuildDir = "mlflow/server/js/build/"

// Wheels finds the mlflow wheel of a version on a package index, checks it
// against the index's sha256, and keeps it in a local folder and in the
// assets bucket, so a later run downloads nothing.
type Wheels struct {
	// Index is ui.packageIndex: a JSON API base (https://pypi.org/pypi) or
	// a simple index (a URL whose path ends in /simple).
	Index string
	HTTP  *http.Client
	// CacheDir is the local cache (DefaultWheelCacheDir when empty).
	CacheDir string
	// Bucket, when set, is a second cache shared by everyone deploying.
	Bucket   *Bucket
	Progress func(string)
}

// WheelFile is one wheel as the index lists it.
type WheelFile struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
}

// WheelKey is where the assets bucket keeps a wheel.
func WheelKey(name string) string { return "ui/wheels/" + name }

// DefaultWheelCacheDir is ~/.cache/mlflowctl/wheels (or $XDG_CACHE_HOME).
func DefaultWheelCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache folder for the mlflow wheel: %w", err)
	}
	return filepath.Join(base, "mlflowctl", "wheels"), nil
}

// IndexError is a package index that does not give the wheel.
type IndexError struct {
	Index string
	Msg   string
}

func (e *IndexError) Error() string {
	return fmt.Sprintf("package index %s (ui.packageIndex): %s", e.Index, e.Msg)
}

// Fetch returns the bytes of the pure-Python mlflow wheel of version,
// whose sha256 matches the index's.
func (w Wheels) Fetch(ctx context.Context, version string) ([]byte, WheelFile, error) {
	f, err := w.Locate(ctx, version)
	if err != nil {
		return nil, f, err
	}
	dir, err := w.cacheDir()
	if err != nil {
		return nil, f, err
	}
	local := filepath.Join(dir, f.Name)
	if data, err := os.ReadFile(local); err == nil && sha256Hex(data) == f.SHA256 {
		w.say("mlflow wheel %s found in the local cache %s", f.Name, dir)
		return data, f, w.share(ctx, f, data)
	}
	data, err := w.fromBucket(ctx, f)
	if err != nil {
		return nil, f, err
	}
	if data == nil {
		if data, err = w.download(ctx, f); err != nil {
			return nil, f, err
		}
		if err := w.share(ctx, f, data); err != nil {
			return nil, f, err
		}
	}
	return data, f, writeAtomic(local, data)
}

func (w Wheels) cacheDir() (string, error) {
	if w.CacheDir != "" {
		return w.CacheDir, nil
	}
	return DefaultWheelCacheDir()
}

func (w Wheels) fromBucket(ctx context.Context, f WheelFile) ([]byte, error) {
	if w.Bucket == nil {
		return nil, nil
	}
	ok, err := w.Bucket.Exists(ctx, WheelKey(f.Name))
	if err != nil || !ok {
		return nil, err
	}
	data, err := w.Bucket.Get(ctx, WheelKey(f.Name))
	if err != nil {
		return nil, err
	}
	if sha256Hex(data) != f.SHA256 {
		w.say("s3://%s/%s does not match the index's sha256: downloading it again", w.Bucket.Name, WheelKey(f.Name))
		return nil, nil
	}
	w.say("mlflow wheel %s found in s3://%s/%s", f.Name, w.Bucket.Name, WheelKey(f.Name))
	return data, nil
}

// share puts the wheel in the assets bucket unless it is there.
func (w Wheels) share(ctx context.Context, f WheelFile, data []byte) error {
	if w.Bucket == nil {
		return nil
	}
	if ok, err := w.Bucket.Exists(ctx, WheelKey(f.Name)); err != nil || ok {
		return err
	}
	return w.Bucket.Put(ctx, WheelKey(f.Name), data)
}

func (w Wheels) download(ctx context.Context, f WheelFile) ([]byte, error) {
	w.say("Downloading %s from %s", f.Name, redactURL(f.URL))
	data, err := w.get(ctx, f.URL, "")
	if err != nil {
		return nil, err
	}
	if got := sha256Hex(data); got != f.SHA256 {
		return nil, &IndexError{Index: w.index(), Msg: fmt.Sprintf("%s has sha256 %s but the index lists %s: not using it", f.Name, got, f.SHA256)}
	}
	return data, nil
}

// Locate asks the index for the wheel's URL and sha256.
func (w Wheels) Locate(ctx context.Context, version string) (WheelFile, error) {
	want := "mlflow-" + version + "-py3-none-any.whl"
	var files []WheelFile
	var err error
	if w.isSimple() {
		files, err = w.simpleFiles(ctx)
	} else {
		files, err = w.jsonFiles(ctx, version)
	}
	if err != nil {
		return WheelFile{}, err
	}
	for _, f := range files {
		if f.Name != want {
			continue
		}
		f.SHA256 = strings.ToLower(f.SHA256)
		if len(f.SHA256) != 64 {
			return f, &IndexError{Index: w.index(), Msg: fmt.Sprintf("lists %s without a sha256 digest: mlflowctl only uses a wheel it can check", want)}
		}
		return f, nil
	}
	return WheelFile{}, &IndexError{Index: w.index(), Msg: fmt.Sprintf("has no %s: is mlflowVersion %s released there?", want, version)}
}

func (w Wheels) index() string {
	if w.Index == "" {
		return DefaultPackageIndex
	}
	return strings.TrimSuffix(w.Index, "/")
}

func (w Wheels) isSimple() bool {
	u, err := url.Parse(w.index())
	return err == nil && strings.HasSuffix(u.Path, "/simple")
}

// jsonFiles reads PyPI's JSON API: GET <index>/mlflow/<version>/json.
func (w Wheels) jsonFiles(ctx context.Context, version string) ([]WheelFile, error) {
	page := w.index() + "/mlflow/" + url.PathEscape(version) + "/json"
	body, err := w.get(ctx, page, "application/json")
	if err != nil {
		return nil, err
	}
	var doc struct {
		URLs []struct {
			Filename string            `json:"filename"`
			URL      string            `json:"url"`
			Digests  map[string]string `json:"digests"`
		} `json:"urls"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, &IndexError{Index: w.index(), Msg: fmt.Sprintf("%s is not PyPI's JSON API (%v): for a simple index give its .../simple URL", page, err)}
	}
	var out []WheelFile
	for _, u := range doc.URLs {
		out = append(out, WheelFile{Name: u.Filename, URL: u.URL, SHA256: u.Digests["sha256"]})
	}
	return out, nil
}

// anchorRe reads a PEP 503 simple page's links.
var anchorRe = regexp.MustCompile(`<a\s[^>]*href="([^"]+)"[^>]*>([^<]+)</a>`)

// simpleFiles reads a simple index page (PEP 691 JSON, or PEP 503 HTML
// whose links end in #sha256=<hex>).
func (w Wheels) simpleFiles(ctx context.Context) ([]WheelFile, error) {
	page := w.index() + "/mlflow/"
	body, err := w.get(ctx, page, "application/vnd.pypi.simple.v1+json, text/html;q=0.1")
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(page)
	var out []WheelFile
	var doc struct {
		Files []struct {
			Filename string            `json:"filename"`
			URL      string            `json:"url"`
			Hashes   map[string]string `json:"hashes"`
		} `json:"files"`
	}
	if json.Unmarshal(body, &doc) == nil {
		for _, f := range doc.Files {
			out = append(out, WheelFile{Name: f.Filename, URL: resolve(base, f.URL), SHA256: f.Hashes["sha256"]})
		}
		return out, nil
	}
	for _, m := range anchorRe.FindAllStringSubmatch(string(body), -1) {
		href := strings.ReplaceAll(m[1], "&amp;", "&")
		link, digest, _ := strings.Cut(href, "#sha256=")
		out = append(out, WheelFile{Name: strings.TrimSpace(m[2]), URL: resolve(base, link), SHA256: digest})
	}
	return out, nil
}

func resolve(base *url.URL, ref string) string {
	u, err := base.Parse(ref)
	if err != nil {
		return ref
	}
	u.Fragment = ""
	return u.String()
}

func (w Wheels) get(ctx context.Context, target, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, &IndexError{Index: w.index(), Msg: err.Error()}
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := w.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, &IndexError{Index: w.index(), Msg: fmt.Sprintf("GET %s: %v", redactURL(target), err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &IndexError{Index: w.index(), Msg: fmt.Sprintf("GET %s: HTTP %d", redactURL(target), resp.StatusCode)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxWheelBytes+1))
	if err == nil && len(data) > maxWheelBytes {
		err = fmt.Errorf("larger than %d MiB", maxWheelBytes>>20)
	}
	if err != nil {
		return nil, &IndexError{Index: w.index(), Msg: fmt.Sprintf("GET %s: %v", redactURL(target), err)}
	}
	return data, nil
}

// redactURL drops credentials a mirror URL may carry.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = url.User("***")
	return u.String()
}

func (w Wheels) say(format string, args ...any) {
	if w.Progress != nil {
		w.Progress(fmt.Sprintf(format, args...))
	}
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("cache the mlflow wheel: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".wheel-*")
	if err != nil {
		return fmt.Errorf("cache the mlflow wheel: %w", err)
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("cache the mlflow wheel: %w", werr)
	}
	return nil
}

// WheelUI returns the files of the built UI an mlflow wheel carries, by
// their path below WheelBuildDir.
func WheelUI(wheel []byte) (map[string][]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(wheel), int64(len(wheel)))
	if err != nil {
		return nil, fmt.Errorf("read the mlflow wheel: %w", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rel, ok := strings.CutPrefix(f.Name, WheelBuildDir)
		if !ok || rel == "" || f.FileInfo().IsDir() {
			continue
		}
		data, err := readZipFile(f)
		if err != nil {
			return nil, err
		}
		files[rel] = data
	}
	if _, ok := files["index.html"]; !ok {
		return nil, errors.New("the mlflow wheel has no " + WheelBuildDir + "index.html: this release does not ship a built UI")
	}
	return files, nil
}
