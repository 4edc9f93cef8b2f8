package janitor_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/janitor"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// The janitor prunes, at start and then hourly on its clock, the delivery
// keys older than a day, however many, and keeps the recent ones and the
// remembered facts.
func TestJanitorPrunesOldDeliveryKeysOnItsClock(t *testing.T) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	st := bolttest.OpenPath(t, filepath.Join(t.TempDir(), "j.db"), boltstore.Options{Now: clk.Now})
	svc := &commands.Service{Store: st, Settings: incident.DefaultSettings(), Clock: clk}
	const backlog = 12_000 // more than one prune transaction takes
	err := st.Update(context.Background(), func(tx store.Tx) error {
		for i := range backlog {
			if _, err := tx.MarkSeen(fmt.Sprintf("event:old%d", i), start.Add(-30*time.Hour)); err != nil {
				return err
			}
		}
		if _, err := tx.MarkSeen("event:yesterday", start.Add(-25*time.Hour)); err != nil {
			return err
		}
		if _, err := tx.MarkSeen("event:recent", start.Add(-time.Hour)); err != nil {
			return err
		}
		_, err := tx.Remember("capture:C1/1.000100")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	has := func(key string) bool {
		t.Helper()
		var ok bool
		if err := st.View(func(tx store.Tx) (err error) { ok, err = tx.Seen(key); return err }); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	count := func() int {
		t.Helper()
		var n int
		if err := st.View(func(tx store.Tx) (err error) { n, err = tx.SeenCount(); return err }); err != nil {
			t.Fatal(err)
		}
		return n
	}

	j := janitor.New(janitor.Options{Pruner: svc, Clock: clk, Every: time.Hour, Log: zerolog.Nop()})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- j.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	})
	// At start: it pruned, then went to sleep on the clock.
	clk.WaitForTimers(1, nil)
	if n := count(); n != 2 || has("event:yesterday") || !has("event:recent") || !has("capture:C1/1.000100") {
		t.Fatalf("after the first prune: %d keys, yesterday %v, recent %v, remembered %v", n, has("event:yesterday"), has("event:recent"), has("capture:C1/1.000100"))
	}
	// Within the hour nothing runs; a day later the recent key is old.
	clk.Advance(59 * time.Minute)
	if clk.Waiters() != 1 || count() != 2 {
		t.Fatal("pruned before its hour")
	}
	if err := st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.MarkSeen("event:today", time.Time{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(23*time.Hour + 2*time.Minute)
	clk.WaitForTimers(1, nil)
	if has("event:recent") || !has("event:today") || !has("capture:C1/1.000100") {
		t.Fatalf("a day later: recent %v, today %v, remembered %v", has("event:recent"), has("event:today"), has("capture:C1/1.000100"))
	}
	// Trigger prunes now and returns once done.
	if err := j.Trigger(ctx); err != nil {
		t.Fatal(err)
	}
}
