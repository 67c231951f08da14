package deploy

import (
	"context"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Interrupts turns Ctrl-C (SIGINT) and SIGTERM into the engine's two
// steps: the first cancels the returned context (the engine cancels or
// rolls back what it started), the second closes detach (pass it as
// Options.Detach: the engine stops waiting and reports what still runs).
// It tells the user on w what each step does. Call stop when done.
func Interrupts(parent context.Context, w io.Writer) (ctx context.Context, detach <-chan struct{}, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	d := make(chan struct{})
	done := make(chan struct{})
	go func() {
		count := 0
		for {
			select {
			case <-done:
				return
			case <-sigs:
				count++
				switch count {
				case 1:
					_, _ = io.WriteString(w, "\nInterrupted: stopping what was started (press Ctrl-C again to stop waiting; CloudFormation then carries on alone)\n")
					cancel()
				case 2:
					_, _ = io.WriteString(w, "\nNo longer waiting.\n")
					close(d)
				}
			}
		}
	}()
	var once sync.Once
	return ctx, d, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel()
		})
	}
}
