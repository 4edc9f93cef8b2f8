package bot

import (
	"context"
	"errors"
	"testing"
	"time"
)

// WaitIdle's first half: after-ack work counts until it returns, and a
// wait ends when the last piece of work does (or its context does).
func TestInflightWaitsForTrackedWork(t *testing.T) {
	var f inflight
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.wait(ctx); err != nil {
		t.Fatalf("nothing in flight, wait returned %v", err)
	}
	if f.track(nil) != nil {
		t.Fatal("no work tracked as work")
	}

	release := make(chan struct{})
	ran := make(chan struct{}, 2)
	work := func(context.Context) { <-release; ran <- struct{}{} }
	first, second := f.track(work), f.track(work)
	waited := make(chan error, 1)
	go func() { waited <- f.wait(ctx) }()
	go first(ctx)
	go second(ctx)

	short, cancelShort := context.WithCancel(ctx)
	cancelShort()
	if err := f.wait(short); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait with work in flight and a cancelled context: %v", err)
	}
	select {
	case err := <-waited:
		t.Fatalf("wait returned %v while work was in flight", err)
	default:
	}
	close(release)
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	if len(ran) != 2 {
		t.Fatalf("wait returned after %d of 2 pieces of work", len(ran))
	}

	// Idle again, and tracking starts afresh.
	again := f.track(func(context.Context) {})
	stillBusy, cancelBusy := context.WithCancel(ctx)
	cancelBusy()
	if err := f.wait(stillBusy); err == nil {
		t.Fatal("new work not counted after an idle period")
	}
	again(ctx)
	if err := f.wait(ctx); err != nil {
		t.Fatal(err)
	}
}
