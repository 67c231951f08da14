package ecr

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// PushOptions tune a push.
type PushOptions struct {
	// Jobs is how many layers upload at once (default 4).
	Jobs int
	// Transport replaces the default HTTP transport (tests, proxies).
	Transport http.RoundTripper
	// Progress gets "pushed n/total bytes" updates.
	Progress func(done, total int64)
}

// Push uploads img to ref (<registry>/<repository>:<tag>) with the login.
// go-containerregistry asks the registry for each blob first and uploads
// only the missing ones, several layers at a time; it returns the digest.
func Push(ctx context.Context, img v1.Image, ref string, auth Auth, o PushOptions) (string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w", ref, err)
	}
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = 4
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuth(&authn.Basic{Username: auth.Username, Password: auth.Password}),
		remote.WithJobs(jobs),
		remote.WithUserAgent("mlflowctl"),
	}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	if o.Progress != nil {
		updates := make(chan v1.Update, 16)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for u := range updates {
				o.Progress(u.Complete, u.Total)
			}
		}()
		defer func() { <-done }()
		opts = append(opts, remote.WithProgress(updates))
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// LoadTarball reads an image saved with `docker save` (one image, or the
// one tagged tag when the archive holds several).
func LoadTarball(path, tag string) (v1.Image, error) {
	var t *name.Tag
	if tag != "" {
		parsed, err := name.NewTag(tag)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", tag, err)
		}
		t = &parsed
	}
	img, err := tarball.ImageFromPath(path, t)
	if err != nil {
		return nil, fmt.Errorf("read image tarball %s: %w", path, err)
	}
	if _, err := img.Manifest(); err != nil {
		return nil, fmt.Errorf("read image tarball %s: %w", path, err)
	}
	return img, nil
}
