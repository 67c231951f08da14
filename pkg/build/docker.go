package build

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mlflowctl/mlflowctl/pkg/ecr"
)

// DefaultDockerHost is where the Docker daemon listens unless DOCKER_HOST says otherwise.
const DefaultDockerHost = "unix:///var/run/docker.sock"

// DockerHost is DOCKER_HOST or the default socket.
func DockerHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return DefaultDockerHost
}

// DockerAnswers reports whether a Docker daemon answers GET /_ping at host
// (unix:///path or tcp://host:port) within two seconds.
func DockerAnswers(ctx context.Context, host string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	client, base, ok := dockerClient(host)
	if !ok {
		return false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_ping", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

func dockerClient(host string) (*http.Client, string, bool) {
	switch {
	case strings.HasPrefix(host, "unix://"):
		path := strings.TrimPrefix(host, "unix://")
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}}
		return &http.Client{Transport: tr}, "http://docker", true
	case strings.HasPrefix(host, "tcp://"):
		return &http.Client{}, "http://" + strings.TrimPrefix(host, "tcp://"), true
	}
	return nil, "", false
}

// Docker builds with the local Docker CLI and daemon, then pushes the saved
// image to ECR with go-containerregistry (only missing blobs upload).
type Docker struct {
	ECR ecr.AuthAPI
	// Binary is the docker CLI (default "docker" on PATH).
	Binary string
	// Push overrides (tests): where the image goes and how.
	Registry string
	Push     ecr.PushOptions
}

// Name is "docker".
func (d *Docker) Name() string { return "docker" }

// Build runs docker build and docker save, then pushes every tag.
func (d *Docker) Build(ctx context.Context, req Request, progress Progress) (Result, error) {
	progress = quiet(progress)
	dir, err := os.MkdirTemp("", "mlflowctl-build-")
	if err != nil {
		return Result{}, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	ctxDir := filepath.Join(dir, "context")
	if err := writeContext(ctxDir, req.Image); err != nil {
		return Result{}, err
	}
	local := "mlflowctl-build/" + string(req.Image.Kind) + ":" + req.Image.Tag()
	tarPath := filepath.Join(dir, "image.tar")
	steps := [][]string{
		{"build", "--pull", "--platform", req.Image.Platform, "--file", filepath.Join(ctxDir, DockerfileName), "--tag", local, ctxDir},
		{"save", "--output", tarPath, local},
	}
	for _, args := range steps {
		if err := d.run(ctx, args, progress); err != nil {
			return Result{}, err
		}
	}
	img, err := ecr.LoadTarball(tarPath, local)
	if err != nil {
		return Result{}, err
	}
	auth, err := ecr.Login(ctx, d.ECR)
	if err != nil {
		return Result{}, err
	}
	registry, repository := ecr.SplitURI(req.RepositoryURI)
	if d.Registry != "" {
		registry = d.Registry
	}
	var digest string
	for _, tag := range req.Tags() {
		ref := registry + "/" + repository + ":" + tag
		progress("pushing " + ref)
		if digest, err = ecr.Push(ctx, img, ref, auth, d.Push); err != nil {
			return Result{}, err
		}
	}
	return Result{URI: req.RepositoryURI + ":" + req.Image.Tag(), Digest: digest, Built: true}, nil
}

func writeContext(dir string, im Image) error {
	for _, name := range im.names() {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, im.Files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// run runs the docker CLI, passing its output to progress line by line and
// keeping the last lines for the error.
func (d *Docker) run(ctx context.Context, args []string, progress Progress) error {
	bin := d.Binary
	if bin == "" {
		bin = "docker"
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var (
		mu   sync.Mutex
		last []string
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			mu.Lock()
			last = append(last, sc.Text())
			if len(last) > lastLines {
				last = last[1:]
			}
			mu.Unlock()
			progress(sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err := cmd.Run()
	_ = pw.Close()
	<-done
	if err != nil {
		return &BuildError{Builder: "Docker", ID: "docker " + args[0], Status: "FAILED", Phase: args[0], Reason: err.Error(), Lines: last}
	}
	return nil
}
