package main

import (
	"context"
	"errors"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/internal/sandbox"
)

// startGameDay plays sc into a drill in the sandbox, in the background,
// on the wall clock. The returned wait blocks until it has stopped (its
// last event played, it failed, or ctx ended), so nothing logs after the
// command returns.
func startGameDay(ctx context.Context, sb *sandbox.Sandbox, sc *sandbox.Scenario, log zerolog.Logger) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := sb.PlayScenario(ctx, sc)
		if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			log.Error().Err(err).Msg("game day stopped")
		}
	}()
	return func() { <-done }
}
