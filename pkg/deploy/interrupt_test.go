package deploy

import (
	"bytes"
	"context"
	"sync"
	"syscall"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func TestInterruptsCancelThenDetach(t *testing.T) {
	var out syncBuffer
	ctx, detach, stop := Interrupts(context.Background(), &out)
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("first interrupt did not cancel")
	}
	select {
	case <-detach:
		t.Fatal("first interrupt detached")
	default:
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-detach:
	case <-time.After(10 * time.Second):
		t.Fatal("second interrupt did not detach")
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	if !bytes.Contains(out.b.Bytes(), []byte("Ctrl-C again")) {
		t.Errorf("told the user: %q", out.b.String())
	}
}
