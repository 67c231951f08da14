package patch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Branch is where the patched tree is committed, one commit per patch.
const Branch = "mlflowctl/patched"

// Result is a patched checkout.
type Result struct {
	Dir        string // the working tree: git -C Dir log mlflowctl/patched
	Base       string // the upstream commit the series applied to
	Head       string // the last patch commit
	SeriesHash string
	Patches    []AppliedPatch
}

// fallbackAuthor signs patches without a From: header (plain diffs).
var fallbackAuthor = object.Signature{Name: "mlflowctl", Email: "mlflowctl@localhost"}

// ApplySeries resets the checkout to its upstream commit (a cached clone
// may hold an earlier run's branch), then applies each patch of s and
// commits it on Branch. On a conflict the branch holds the patches that
// applied, and the error says which hunk did not.
func ApplySeries(co *Checkout, s Series) (*Result, error) {
	patches, err := parseSeries(s)
	if err != nil {
		return nil, err
	}
	wt, err := co.Repo.Worktree()
	if err != nil {
		return nil, err
	}
	if err := resetToBase(co, wt); err != nil {
		return nil, err
	}
	res := &Result{Dir: co.Dir, Base: co.Base.String(), Head: co.Base.String(), SeriesHash: s.Hash()}
	for _, p := range patches {
		ap, err := applyPatch(co.Dir, p)
		if err != nil {
			return res, err
		}
		commit, err := commitPatch(wt, p, ap.Files)
		if err != nil {
			return res, fmt.Errorf("commit patch %s: %w", p.name, err)
		}
		ap.Commit = commit.String()
		res.Head = ap.Commit
		res.Patches = append(res.Patches, ap)
	}
	return res, nil
}

func resetToBase(co *Checkout, wt *git.Worktree) error {
	if err := wt.Reset(&git.ResetOptions{Commit: co.Base, Mode: git.HardReset}); err != nil {
		return fmt.Errorf("reset %s to %s: %w", co.Dir, co.Base, err)
	}
	if err := wt.Clean(&git.CleanOptions{Dir: true}); err != nil {
		return fmt.Errorf("clean %s: %w", co.Dir, err)
	}
	branch := plumbing.NewBranchReferenceName(Branch)
	if err := co.Repo.Storer.SetReference(plumbing.NewHashReference(branch, co.Base)); err != nil {
		return err
	}
	return co.Repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, branch))
}

func commitPatch(wt *git.Worktree, p parsedPatch, files []string) (plumbing.Hash, error) {
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(wt.Filesystem.Root(), f)); errors.Is(err, os.ErrNotExist) {
			if _, err := wt.Remove(f); err != nil {
				return plumbing.ZeroHash, fmt.Errorf("stage removal of %s: %w", f, err)
			}
			continue
		}
		if err := wt.AddWithOptions(&git.AddOptions{Path: f, SkipStatus: true}); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("stage %s: %w", f, err)
		}
	}
	author := fallbackAuthor
	author.When = time.Now()
	if a := p.header.Author; a != nil {
		author = object.Signature{Name: a.Name, Email: a.Email, When: p.header.AuthorDate}
		if author.When.IsZero() {
			author.When = time.Now()
		}
	}
	committer := fallbackAuthor
	committer.When = time.Now()
	msg := p.header.Message()
	if msg == "" {
		msg = "apply " + p.name
	}
	return wt.Commit(msg+"\n\nApplied by mlflowctl from "+p.name+".\n", &git.CommitOptions{
		Author: &author, Committer: &committer, AllowEmptyCommits: true,
	})
}

// Prepare clones (or re-uses) opts.Ref and applies s on Branch.
func Prepare(ctx context.Context, opts CloneOptions, s Series) (*Result, error) {
	co, err := Clone(ctx, opts)
	if err != nil {
		return nil, err
	}
	return ApplySeries(co, s)
}
