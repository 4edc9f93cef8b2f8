package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store/pgstore"
)

// startPG is start over the PostgreSQL database at dsn: the worker claims
// its jobs (outbox.Claimer) instead of reading the whole outbox, as each
// replica does, and hears of its own commits as over bbolt.
func startPG(t *testing.T, dsn string, p outbox.Performer) *harness {
	t.Helper()
	h := &harness{t: t, done: make(chan struct{})}
	enqueued := wake.New()
	st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{OnEnqueue: enqueued.Notify})
	if err != nil {
		t.Fatal(err)
	}
	h.store = st
	h.worker = outbox.New(outbox.Options{Store: st, Performer: p, Wake: enqueued, Log: zerolog.Nop(), Owner: t.Name(), Grace: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { defer close(h.done); _ = h.worker.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}
