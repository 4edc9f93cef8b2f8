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

// The janitor also forgets the HTTP API's Idempotency-Keys after a day,
// and the Alertmanager groups a week after they were done with (nothing
// firing, their incident resolved); the rest stays.
func TestJanitorPrunesIdempotencyKeysAndAlertGroupsDoneWith(t *testing.T) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	st := bolttest.OpenPath(t, filepath.Join(t.TempDir(), "j.db"), boltstore.Options{Now: clk.Now})
	svc := &commands.Service{Store: st, Settings: incident.DefaultSettings(), Clock: clk}
	ctx := context.Background()
	firing := map[string]store.FiringAlert{"fp": {StartsAt: start.Add(-9 * 24 * time.Hour), Name: "Down"}}
	err := st.Update(ctx, func(tx store.Tx) error {
		resolved := func(ago time.Duration) (uint64, error) {
			inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating, DeclaredAt: start.Add(-10 * 24 * time.Hour)}
			if err := tx.CreateIncident(inc); err != nil {
				return 0, err
			}
			if ago > 0 {
				inc.Status, inc.ResolvedAt = incident.Resolved, start.Add(-ago)
			}
			return inc.Number, tx.PutIncident(inc)
		}
		for _, g := range []struct {
			key      string
			resolved time.Duration // 0: open
			firing   bool
		}{
			{"resolved 8 days ago", 8 * 24 * time.Hour, false},
			{"resolved 8 days ago, still firing", 8 * 24 * time.Hour, true},
			{"resolved 2 days ago", 2 * 24 * time.Hour, false},
			{"open", 0, false},
		} {
			n, err := resolved(g.resolved)
			if err != nil {
				return err
			}
			ag := store.AlertGroup{Key: g.key, ID: g.key, Incident: n, FirstSeen: start.Add(-9 * 24 * time.Hour)}
			if g.firing {
				ag.Firing = firing
			}
			if err := tx.PutAlertGroup(ag); err != nil {
				return err
			}
		}
		if err := tx.PutAPIRequest("deploy-41", store.APIRequest{Digest: "a", Incident: 1, At: start.Add(-25 * time.Hour)}); err != nil {
			return err
		}
		return tx.PutAPIRequest("deploy-42", store.APIRequest{Digest: "b", Incident: 2, At: start.Add(-time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	state := func() (groups, keys []string) {
		t.Helper()
		err := st.View(func(tx store.Tx) error {
			if err := tx.ForEachAlertGroup(func(g store.AlertGroup) error { groups = append(groups, g.Key); return nil }); err != nil {
				return err
			}
			return tx.ForEachAPIRequest(func(k string, _ store.APIRequest) error { keys = append(keys, k); return nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		return groups, keys
	}

	j := janitor.New(janitor.Options{Pruner: svc, Clock: clk, Every: time.Hour, Log: zerolog.Nop()})
	runCtx, cancel := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- j.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	})
	if err := j.Trigger(ctx); err != nil {
		t.Fatal(err)
	}
	groups, keys := state()
	if want := []string{"open", "resolved 2 days ago", "resolved 8 days ago, still firing"}; fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Errorf("alert groups kept %q, want %q", groups, want)
	}
	if want := []string{"deploy-42"}; fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("idempotency keys kept %q, want %q", keys, want)
	}
	// Five days on, the group resolved two days before is a week done.
	clk.Advance(5*24*time.Hour + time.Minute)
	if err := j.Trigger(ctx); err != nil {
		t.Fatal(err)
	}
	groups, keys = state()
	if want := []string{"open", "resolved 8 days ago, still firing"}; fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Errorf("five days on, alert groups kept %q, want %q", groups, want)
	}
	if len(keys) != 0 {
		t.Errorf("five days on, idempotency keys kept %q", keys)
	}
}
