// Package pypifake stands in for a Python package index on 127.0.0.1, so
// tests of the prebuilt UI path never depend on PyPI: it serves wheels
// through PyPI's JSON API (GET /pypi/<project>/<version>/json), the simple
// API (GET /simple/<project>/, PEP 691 JSON or PEP 503 HTML with
// #sha256= links) and the files themselves. It does not model yanked
// releases, authentication or any index metadata beyond name, URL and
// sha256 digest.
package pypifake

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Index is the stand-in.
type Index struct {
	srv *httptest.Server
	mu  sync.Mutex
	// wheels by file name; versions by file name.
	wheels   map[string][]byte
	versions map[string]string
	// digests lets a test make the index list a wrong sha256.
	digests   map[string]string
	downloads map[string]int
}

// New starts an empty index that stops when the test ends.
func New(t testing.TB) *Index {
	ix := &Index{wheels: map[string][]byte{}, versions: map[string]string{}, digests: map[string]string{}, downloads: map[string]int{}}
	ix.srv = httptest.NewServer(ix)
	t.Cleanup(ix.srv.Close)
	return ix
}

// JSONURL is the ui.packageIndex value for the JSON API.
func (ix *Index) JSONURL() string { return ix.srv.URL + "/pypi" }

// SimpleURL is the ui.packageIndex value for the simple API.
func (ix *Index) SimpleURL() string { return ix.srv.URL + "/simple" }

// Add publishes the mlflow wheel of version.
func (ix *Index) Add(version string, wheel []byte) string {
	name := "mlflow-" + version + "-py3-none-any.whl"
	sum := sha256.Sum256(wheel)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.wheels[name], ix.versions[name], ix.digests[name] = wheel, version, hex.EncodeToString(sum[:])
	return name
}

// SetDigest makes the index list digest for a file (a tampered mirror).
func (ix *Index) SetDigest(name, digest string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.digests[name] = digest
}

// Downloads counts GETs of a wheel file.
func (ix *Index) Downloads(name string) int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.downloads[name]
}

func (ix *Index) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 4 && parts[0] == "pypi" && parts[1] == "mlflow" && parts[3] == "json":
		ix.jsonAPI(w, r, parts[2])
	case len(parts) == 2 && parts[0] == "simple" && parts[1] == "mlflow":
		ix.simple(w, r)
	case len(parts) == 2 && parts[0] == "files" && ix.wheels[parts[1]] != nil:
		ix.downloads[parts[1]]++
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(ix.wheels[parts[1]])
	default:
		http.NotFound(w, r)
	}
}

func (ix *Index) names() []string {
	out := make([]string, 0, len(ix.wheels))
	for n := range ix.wheels {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (ix *Index) jsonAPI(w http.ResponseWriter, r *http.Request, version string) {
	type file struct {
		Filename    string            `json:"filename"`
		URL         string            `json:"url"`
		PackageType string            `json:"packagetype"`
		Digests     map[string]string `json:"digests"`
	}
	var urls []file
	for _, n := range ix.names() {
		if ix.versions[n] == version {
			urls = append(urls, file{n, ix.srv.URL + "/files/" + n, "bdist_wheel", map[string]string{"sha256": ix.digests[n]}})
		}
	}
	if urls == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"info": map[string]string{"name": "mlflow", "version": version}, "urls": urls})
}

func (ix *Index) simple(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept"), "application/vnd.pypi.simple.v1+json") {
		var files []map[string]any
		for _, n := range ix.names() {
			files = append(files, map[string]any{"filename": n, "url": "../../files/" + n, "hashes": map[string]string{"sha256": ix.digests[n]}})
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		_ = json.NewEncoder(w).Encode(map[string]any{"meta": map[string]string{"api-version": "1.0"}, "name": "mlflow", "files": files})
		return
	}
	w.Header().Set("Content-Type", "text/html")
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><body><h1>Links for mlflow</h1>\n")
	for _, n := range ix.names() {
		fmt.Fprintf(&b, "<a href=\"../../files/%s#sha256=%s\" data-requires-python=\"&gt;=3.8\">%s</a><br/>\n", n, ix.digests[n], n)
	}
	b.WriteString("</body></html>\n")
	_, _ = w.Write([]byte(b.String()))
}

// Wheel zips files (paths inside the wheel) as a minimal wheel.
func Wheel(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
