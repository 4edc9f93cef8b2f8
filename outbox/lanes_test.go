package outbox_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// enqueue adds jobs (kind, lane pairs) for incident n.
func (h *harness) enqueue(n uint64, kindLanes ...string) {
	h.t.Helper()
	err := h.store.Update(context.Background(), func(tx store.Tx) error {
		for i := 0; i+1 < len(kindLanes); i += 2 {
			if _, err := tx.Enqueue(store.Job{Incident: n, Kind: kindLanes[i], Lane: kindLanes[i+1]}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// A job hanging in an incident's webhook lane holds up the later jobs of
// that lane only: the incident's Slack jobs, enqueued after it, run.
func TestLanesOfAnIncidentRunIndependently(t *testing.T) {
	release := make(chan struct{})
	slackDone := make(chan struct{})
	rec := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		switch j.Kind {
		case "hook1":
			select {
			case <-release:
			case <-ctx.Done():
			}
		case "announce":
			close(slackDone)
		}
		return nil, nil
	}}
	h := start(t, filepath.Join(t.TempDir(), "s.db"), rec, nil, nil)
	n := h.declare()
	h.enqueue(n, "hook1", "webhook https://a", "card", "", "hook2", "webhook https://a", "announce", "")
	select {
	case <-slackDone:
	case <-time.After(10 * time.Second):
		t.Fatal("a hanging webhook held up the incident's Slack jobs")
	}
	if got := rec.list(); slices.Contains(got, "INC-1:hook2") || !slices.Contains(got, "INC-1:card") {
		t.Errorf("ran %v: hook2 must wait for hook1, the Slack jobs must not", got)
	}
	close(release)
	h.waitIdle()
	if got := rec.list(); got[len(got)-1] != "INC-1:hook2" {
		t.Errorf("ran %v, want hook2 last", got)
	}
}

// Deliveries hanging in as many lanes as the worker runs at once still
// leave Slack's jobs a slot: the two kinds of lane have a cap each.
func TestHangingLanesLeaveSlackItsSlots(t *testing.T) {
	release := make(chan struct{})
	slackDone := make(chan struct{})
	rec := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		switch j.Kind {
		case "hook":
			select {
			case <-release:
			case <-ctx.Done():
			}
		case "card":
			close(slackDone)
		}
		return nil, nil
	}}
	h := &harness{t: t, done: make(chan struct{})}
	enqueued := wake.New()
	h.store = openStore(t, filepath.Join(t.TempDir(), "s.db"), enqueued.Notify)
	w := outbox.New(outbox.Options{Store: h.store, Performer: rec, Wake: enqueued, Log: zerolog.Nop(), Concurrency: 1, Grace: 200 * time.Millisecond})
	h.worker = w
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { defer close(h.done); _ = w.Run(ctx) }()
	t.Cleanup(h.stop)

	one, two := h.declare(), h.declare()
	h.enqueue(one, "hook", "webhook https://a")
	h.enqueue(two, "card", "")
	select {
	case <-slackDone:
	case <-time.After(10 * time.Second):
		t.Fatalf("a hanging webhook took the only slot; ran %v", rec.list())
	}
	close(release)
	h.waitIdle()
	if got := rec.list(); len(got) != 2 || incident.FormatID(two) != "INC-2" {
		t.Errorf("ran %v", got)
	}
}
