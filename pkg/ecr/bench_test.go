package ecr

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// BenchmarkPush pushes a 4 x 1 MiB-layer image to the in-memory registry:
// "first" uploads everything into a fresh registry each time, "again"
// re-pushes an image the registry has under a new tag (blob checks only).
func BenchmarkPush(b *testing.B) {
	auth := Auth{Username: "AWS", Password: "token"}
	img := imageOf(b, layersOfSize(b, 4, 1<<20))
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			srv := httptest.NewServer(&countingRegistry{user: auth.Username, pass: auth.Password, inner: registry.New(registry.Logger(log.New(io.Discard, "", 0)))})
			if _, err := Push(context.Background(), img, strings.TrimPrefix(srv.URL, "http://")+"/bench:1", auth, PushOptions{}); err != nil {
				b.Fatal(err)
			}
			srv.Close()
		}
	})
	b.Run("again", func(b *testing.B) {
		srv := httptest.NewServer(&countingRegistry{user: auth.Username, pass: auth.Password, inner: registry.New(registry.Logger(log.New(io.Discard, "", 0)))})
		defer srv.Close()
		host := strings.TrimPrefix(srv.URL, "http://")
		if _, err := Push(context.Background(), img, host+"/bench:1", auth, PushOptions{}); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			i++
			if _, err := Push(context.Background(), img, fmt.Sprintf("%s/bench:t%d", host, i), auth, PushOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
