package patch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

var gitLogAll = git.LogOptions{All: true}

// gitServer is `git http-backend` behind Go's CGI handler on 127.0.0.1,
// with basic auth and a request counter.
type gitServer struct {
	URL      string
	requests atomic.Int64
	tags     map[string]string // tag -> commit
	onlyV3   plumbing.Hash     // a blob that exists only at the last tag
}

const (
	gitUser = "reader"
	gitPass = "s3cret-token"
)

func runGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@localhost",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@localhost", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// startGitServer builds a repository with three releases (an annotated
// tag, a lightweight tag, another annotated tag) and a branch, and serves it.
func startGitServer(t testing.TB) *gitServer {
	return startGitServerWith(t, []string{"v1.0.0", "v2.0.0", "v3.0.0"}, func(tag string) []byte {
		return []byte("<title>MLflow</title> release " + tag + "\n")
	})
}

// startGitServerWith commits index(tag) as the UI's index.html for each
// tag in order; the second tag is lightweight, the others annotated, and
// each release has a file of its own that the next one deletes.
func startGitServerWith(t testing.TB, tags []string, index func(tag string) []byte) *gitServer {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	work := filepath.Join(root, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	runGit(t, work, "init", "-q", "-b", "main")
	s := &gitServer{tags: map[string]string{}}
	for i, v := range tags {
		write(t, filepath.Join(work, indexPath), index(v))
		write(t, filepath.Join(work, "only-"+v+".txt"), []byte(strings.Repeat(v, 100+i)))
		runGit(t, work, "add", "-A")
		runGit(t, work, "commit", "-q", "-m", "release "+v)
		if i == 1 {
			runGit(t, work, "tag", v)
		} else {
			runGit(t, work, "tag", "-a", v, "-m", "MLflow "+v)
		}
		s.tags[v] = runGit(t, work, "rev-parse", v+"^{commit}")
		if i < len(tags)-1 {
			runGit(t, work, "rm", "-q", "only-"+v+".txt")
		}
	}
	last := tags[len(tags)-1]
	s.onlyV3 = plumbing.NewHash(runGit(t, work, "rev-parse", last+":only-"+last+".txt"))
	bare := filepath.Join(root, "srv", "mlflow.git")
	runGit(t, root, "clone", "-q", "--bare", work, bare)

	backend := filepath.Join(runGit(t, root, "--exec-path"), "git-http-backend")
	cgiHandler := &cgi.Handler{
		Path: backend,
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Join(root, "srv"), "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		u, p, ok := r.BasicAuth()
		if !ok || u != gitUser || p != gitPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		cgiHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/mlflow.git"
	return s
}

func (s *gitServer) opts(_ testing.TB, cache, ref string) CloneOptions {
	return CloneOptions{URL: s.URL, Ref: ref, Username: gitUser, Password: gitPass, CacheDir: cache, Progress: &bytes.Buffer{}}
}

func TestCloneShallowTag(t *testing.T) {
	s := startGitServer(t)
	cache := t.TempDir()
	opts := s.opts(t, cache, "v2.0.0")
	progress := opts.Progress.(*bytes.Buffer)
	co, err := Clone(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if co.Base.String() != s.tags["v2.0.0"] || co.FromCache {
		t.Fatalf("base %s (from cache %v), want %s fresh", co.Base, co.FromCache, s.tags["v2.0.0"])
	}
	got, _ := os.ReadFile(filepath.Join(co.Dir, "mlflow/server/js/public/index.html"))
	if string(got) != "<title>MLflow</title> release v2.0.0\n" {
		t.Fatalf("worktree has %q", got)
	}
	commits, err := co.Repo.Log(&gitLogAll)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = commits.ForEach(func(c *object.Commit) error { n++; return nil })
	if n != 1 {
		t.Errorf("clone has %d commits, want 1 (depth 1)", n)
	}
	if _, err := os.Stat(filepath.Join(co.Dir, ".git", "shallow")); err != nil {
		t.Errorf("no .git/shallow: %v", err)
	}
	tags, _ := co.Repo.Tags()
	var names []string
	_ = tags.ForEach(func(r *plumbing.Reference) error { names = append(names, r.Name().Short()); return nil })
	if len(names) > 1 || (len(names) == 1 && names[0] != "v2.0.0") {
		t.Errorf("clone fetched tags %v, want at most v2.0.0", names)
	}
	if _, err := co.Repo.BlobObject(s.onlyV3); err == nil {
		t.Error("clone holds a blob of v3.0.0: it fetched more than the tag")
	}
	if !strings.Contains(progress.String(), "cloning") {
		t.Errorf("no progress written: %q", progress.String())
	}
}

func TestCloneAnnotatedTagAndBranch(t *testing.T) {
	s := startGitServer(t)
	cache := t.TempDir()
	for ref, want := range map[string]string{"v1.0.0": s.tags["v1.0.0"], "refs/tags/v3.0.0": s.tags["v3.0.0"], "main": s.tags["v3.0.0"]} {
		co, err := Clone(testCtx(t), s.opts(t, cache, ref))
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if co.Base.String() != want {
			t.Errorf("%s: base %s, want %s", ref, co.Base, want)
		}
	}
}

func TestCloneCacheReusedWithoutNetwork(t *testing.T) {
	s := startGitServer(t)
	cache := t.TempDir()
	first, err := Clone(testCtx(t), s.opts(t, cache, "v1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	before := s.requests.Load()
	if before == 0 {
		t.Fatal("the first clone made no request")
	}
	second, err := Clone(testCtx(t), s.opts(t, cache, "v1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	if extra := s.requests.Load() - before; extra != 0 {
		t.Fatalf("re-use made %d requests, want 0", extra)
	}
	if !second.FromCache || second.Dir != first.Dir || second.Base != first.Base {
		t.Fatalf("second clone %+v, want the cached %+v", second, first)
	}
	other, err := Clone(testCtx(t), s.opts(t, cache, "v2.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	if other.Dir == first.Dir || other.FromCache {
		t.Fatal("another ref shares the cache entry")
	}
}

func TestCloneRecoversFromBrokenCache(t *testing.T) {
	breakers := map[string]func(t *testing.T, dir string){
		"partial clone (no completion marker)": func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, ".git", completeMarker)); err != nil {
				t.Fatal(err)
			}
		},
		"truncated pack": func(t *testing.T, dir string) {
			packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
			if len(packs) == 0 {
				t.Fatal("no pack file to corrupt")
			}
			for _, p := range packs {
				if err := os.Truncate(p, 40); err != nil {
					t.Fatal(err)
				}
			}
		},
		"missing objects": func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, ".git", "objects")); err != nil {
				t.Fatal(err)
			}
		},
		"ref moved": func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, ".git", completeMarker), []byte("refs/tags/v1.0.0 "+strings.Repeat("ab", 20)+"\n"))
		},
	}
	for name, breakIt := range breakers {
		t.Run(name, func(t *testing.T) {
			s := startGitServer(t)
			cache := t.TempDir()
			co, err := Clone(testCtx(t), s.opts(t, cache, "v1.0.0"))
			if err != nil {
				t.Fatal(err)
			}
			breakIt(t, co.Dir)
			before := s.requests.Load()
			again, err := Clone(testCtx(t), s.opts(t, cache, "v1.0.0"))
			if err != nil {
				t.Fatalf("no recovery: %v", err)
			}
			if again.FromCache || s.requests.Load() == before {
				t.Fatal("the broken cache was used instead of cloning again")
			}
			if again.Base.String() != s.tags["v1.0.0"] {
				t.Fatalf("base %s after recovery", again.Base)
			}
			if _, err := Clone(testCtx(t), s.opts(t, cache, "v1.0.0")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCloneWrongCredentials(t *testing.T) {
	s := startGitServer(t)
	cache := t.TempDir()
	opts := s.opts(t, cache, "v1.0.0")
	opts.Password = "wrong-password"
	_, err := Clone(testCtx(t), opts)
	var in *InputError
	if !errors.As(err, &in) || in.ExitCode() != 2 || in.Field != "ui.repository" {
		t.Fatalf("err = %v, want an InputError on ui.repository", err)
	}
	if !strings.Contains(err.Error(), "refused the credentials") || strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("unclear or leaking error: %v", err)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 0 {
		t.Fatalf("a failed clone left %d cache entries", len(entries))
	}
	opts.Password = ""
	opts.Username = ""
	if _, err := Clone(testCtx(t), opts); err == nil || !strings.Contains(err.Error(), "refused the credentials") {
		t.Fatalf("anonymous clone: %v", err)
	}
}

func TestCloneCredentialsInURLAreNotStored(t *testing.T) {
	s := startGitServer(t)
	opts := s.opts(t, t.TempDir(), "v1.0.0")
	opts.URL = strings.Replace(s.URL, "http://", "http://"+gitUser+":"+gitPass+"@", 1)
	opts.Username, opts.Password = "", ""
	co, err := Clone(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile(filepath.Join(co.Dir, ".git", "config"))
	if bytes.Contains(cfg, []byte(gitPass)) {
		t.Fatalf(".git/config holds the password:\n%s", cfg)
	}
}

func TestCloneUnknownRef(t *testing.T) {
	s := startGitServer(t)
	_, err := Clone(testCtx(t), s.opts(t, t.TempDir(), "v9.9.9"))
	var in *InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), `"v9.9.9" is neither a tag nor a branch`) {
		t.Fatalf("err = %v", err)
	}
}

func TestCloneBadInput(t *testing.T) {
	for _, o := range []CloneOptions{{URL: "", Ref: "v1"}, {URL: "not a url", Ref: "v1"}, {URL: "https://example.invalid/x.git", Ref: " "}} {
		_, err := Clone(testCtx(t), o)
		var in *InputError
		if !errors.As(err, &in) {
			t.Errorf("%+v: err = %v, want InputError", o, err)
		}
	}
}

// testCtx bounds every clone a test makes.
func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	tb.Cleanup(cancel)
	return ctx
}
