package trigger_test

import (
	"context"
	"testing"

	"github.com/incidentbot/incidentbot/internal/trigger"
)

// Run returns only once the loop has run the cycle it asked for, and gives
// up with ctx when no loop takes the request.
func TestRunWaitsForTheCycle(t *testing.T) {
	r := trigger.New()
	ran := make(chan struct{})
	go func() {
		done := <-r
		close(ran)
		close(done)
	}()
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	default:
		t.Fatal("Run returned before the cycle ran")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := trigger.New().Run(ctx); err == nil {
		t.Fatal("Run with no loop and an ended context returned nil")
	}
}
