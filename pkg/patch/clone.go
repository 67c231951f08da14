// Package patch fetches the MLflow sources the UI is built from and applies
// the patch series (the project's own, then the user's) on a branch the
// user can inspect with git.
package patch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

// completeMarker is written last, after the clone and its checkout finished,
// so a cache directory without it is a partial clone.
const completeMarker = "mlflowctl-clone-complete"

// CloneOptions says what to fetch and where to keep it.
type CloneOptions struct {
	// URL of the repository (config ui.repository). Credentials embedded in
	// the URL are moved out of it before anything is stored on disk.
	URL string
	// Ref is a tag or branch name ("v3.18.0", "master") or a full reference
	// name ("refs/tags/v3.18.0").
	Ref string
	// Username and Password are HTTP basic credentials (a token goes in
	// Password). Empty means anonymous.
	Username string
	Password string
	// CacheDir holds one clone per (URL, ref); empty means
	// os.UserCacheDir()/mlflowctl/git.
	CacheDir string
	// Progress receives git's progress lines; nil discards them.
	Progress io.Writer
}

// Checkout is a cached shallow clone of one reference.
type Checkout struct {
	Dir       string
	Repo      *git.Repository
	Base      plumbing.Hash // the commit Ref points at
	Ref       plumbing.ReferenceName
	FromCache bool // true when no network was used
}

// RefForVersion is the upstream tag of an MLflow release.
func RefForVersion(version string) string { return "v" + version }

// DefaultCacheDir is where clones are kept when CloneOptions.CacheDir is empty.
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the user cache directory: %w (set XDG_CACHE_HOME or HOME)", err)
	}
	return filepath.Join(base, "mlflowctl", "git"), nil
}

// Clone returns a checkout of opts.Ref, from the cache when a complete clone
// is there, otherwise with a depth-1 single-reference clone.
func Clone(ctx context.Context, opts CloneOptions) (*Checkout, error) {
	remote, auth, err := splitCredentials(opts)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(opts.Ref) == "" {
		return nil, &InputError{Field: "ref", Msg: "is empty: name a tag such as v3.18.0 or a branch"}
	}
	root := opts.CacheDir
	if root == "" {
		if root, err = DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	dir := filepath.Join(root, cacheKey(remote, opts.Ref))
	if co, err := openCached(dir); err == nil {
		return co, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("remove the unusable cache %s: %w", dir, err)
	}
	return cloneFresh(ctx, dir, remote, auth, opts)
}

// cacheKey names the cache directory; hashing keeps any URL characters
// out of the path.
func cacheKey(remote, ref string) string {
	sum := sha256.Sum256([]byte(remote + "\x00" + ref))
	return hex.EncodeToString(sum[:12])
}

func splitCredentials(opts CloneOptions) (string, *githttp.BasicAuth, error) {
	raw := strings.TrimSpace(opts.URL)
	if raw == "" {
		return "", nil, &InputError{Field: "ui.repository", Msg: "is empty: set a git URL such as https://github.com/mlflow/mlflow.git"}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", nil, &InputError{Field: "ui.repository", Msg: fmt.Sprintf("%q is not a git URL: use https://, http://, ssh:// or file://", redactURL(raw))}
	}
	user, pass := opts.Username, opts.Password
	if u.User != nil && (u.Scheme == "http" || u.Scheme == "https") {
		if user == "" {
			user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && pass == "" {
			pass = p
		}
		u.User = nil
	}
	var auth *githttp.BasicAuth
	if user != "" || pass != "" {
		auth = &githttp.BasicAuth{Username: user, Password: pass}
	}
	return u.String(), auth, nil
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

func cloneFresh(ctx context.Context, dir, remote string, auth *githttp.BasicAuth, opts CloneOptions) (*Checkout, error) {
	var authMethod transport.AuthMethod
	if auth != nil {
		authMethod = auth
	}
	ref, err := resolveRemoteRef(ctx, remote, opts.Ref, authMethod)
	if err != nil {
		return nil, err
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	_, _ = fmt.Fprintf(progress, "cloning %s at %s (depth 1)\n", remote, ref.Short())
	repo, err := git.PlainCloneContext(ctx, dir, false, &git.CloneOptions{
		URL:           remote,
		Auth:          authMethod,
		ReferenceName: ref,
		SingleBranch:  true,
		Depth:         1,
		Tags:          git.NoTags,
		Progress:      progress,
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, cloneError(remote, opts.Ref, err)
	}
	base, err := refCommit(repo, ref)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("clone %s at %s: %w", remote, opts.Ref, err)
	}
	marker := ref.String() + " " + base.String() + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".git", completeMarker), []byte(marker), 0o644); err != nil {
		return nil, fmt.Errorf("mark the clone in %s complete: %w", dir, err)
	}
	return &Checkout{Dir: dir, Repo: repo, Base: base, Ref: ref}, nil
}

// resolveRemoteRef turns a short name into the full reference the remote
// advertises, tags first, so a clone asks for exactly one reference.
func resolveRemoteRef(ctx context.Context, remote, ref string, auth transport.AuthMethod) (plumbing.ReferenceName, error) {
	rem := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{remote}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return "", cloneError(remote, ref, err)
	}
	candidates := []plumbing.ReferenceName{plumbing.ReferenceName(ref)}
	if !strings.HasPrefix(ref, "refs/") {
		candidates = []plumbing.ReferenceName{plumbing.NewTagReferenceName(ref), plumbing.NewBranchReferenceName(ref)}
	}
	for _, want := range candidates {
		for _, r := range refs {
			if r.Name() == want {
				return want, nil
			}
		}
	}
	return "", &InputError{Field: "ref", Msg: fmt.Sprintf("%q is neither a tag nor a branch of %s: check mlflowVersion (the tag is v<version>) or the ref", ref, remote)}
}

func cloneError(remote, ref string, err error) error {
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return &InputError{Field: "ui.repository", Msg: fmt.Sprintf("%s refused the credentials (%v): check the git username and token for this repository", remote, err)}
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return &InputError{Field: "ui.repository", Msg: fmt.Sprintf("%s: repository not found: check the URL", remote)}
	}
	return fmt.Errorf("clone %s at %s: %w", remote, ref, err)
}

// openCached re-uses a clone only when it finished (marker present), opens,
// its reference still points at the recorded commit and every object of
// that commit's tree is present.
func openCached(dir string) (*Checkout, error) {
	data, err := os.ReadFile(filepath.Join(dir, ".git", completeMarker))
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 {
		return nil, errors.New("malformed completion marker")
	}
	ref, want := plumbing.ReferenceName(fields[0]), plumbing.NewHash(fields[1])
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil, err
	}
	got, err := refCommit(repo, ref)
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, fmt.Errorf("%s points at %s, recorded %s", ref, got, want)
	}
	if err := checkTree(repo, want); err != nil {
		return nil, err
	}
	return &Checkout{Dir: dir, Repo: repo, Base: want, Ref: ref, FromCache: true}, nil
}

func refCommit(repo *git.Repository, ref plumbing.ReferenceName) (plumbing.Hash, error) {
	r, err := repo.Reference(ref, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w", ref, err)
	}
	h := r.Hash()
	if tag, err := repo.TagObject(h); err == nil {
		c, err := tag.Commit()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("tag %s: %w", ref.Short(), err)
		}
		return c.Hash, nil
	}
	c, err := repo.CommitObject(h)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit of %s: %w", ref, err)
	}
	return c.Hash, nil
}

// checkTree walks the commit's trees (decoding each) and checks every blob
// is in the object store, without reading blob contents.
func checkTree(repo *git.Repository, commit plumbing.Hash) error {
	c, err := repo.CommitObject(commit)
	if err != nil {
		return err
	}
	tree, err := c.Tree()
	if err != nil {
		return err
	}
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		name, entry, err := walker.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !entry.Mode.IsFile() {
			continue
		}
		if err := repo.Storer.HasEncodedObject(entry.Hash); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}
