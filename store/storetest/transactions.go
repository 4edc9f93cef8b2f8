package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// writeEverything writes to every part of the store in tx: a new incident
// in channel C9, a change and the resolution of incident n, an event, a
// job, a reminder, a seen key and a remembered one.
func writeEverything(tx store.Tx, n uint64) error {
	if err := tx.CreateIncident(newIncident("doomed", "C9", t0)); err != nil {
		return err
	}
	if err := tx.SetReminder(n, at(10)); err != nil {
		return err
	}
	if _, err := tx.AppendEvent(n, incident.Event{Kind: incident.EventNote, Text: "doomed"}); err != nil {
		return err
	}
	if _, err := tx.Enqueue(store.Job{Incident: n, Kind: "post"}); err != nil {
		return err
	}
	if _, err := tx.MarkSeen("doomed-key", at(0)); err != nil {
		return err
	}
	if _, err := tx.Remember("doomed-fact"); err != nil {
		return err
	}
	inc, err := tx.Incident(n)
	if err != nil {
		return err
	}
	inc.Title, inc.ChannelID, inc.Status, inc.ResolvedAt = "doomed", "C8", incident.Resolved, at(20)
	return tx.PutIncident(inc)
}

// wantUntouched fails unless the store holds only incident n as before,
// with nothing else written. took: the failed Update took a number
// (CreateIncident ran in an Update, not in a View).
func wantUntouched(t *testing.T, b Backend, n uint64, before *incident.Incident, took bool) {
	t.Helper()
	sameJSON(t, "incident after the failed Update", get(t, b, n), before)
	if got := byChannel(t, b, "C9"); got != 0 {
		t.Errorf("the failed Update's incident is in the channel index (%d)", got)
	}
	if got := byChannel(t, b, "C8"); got != 0 {
		t.Errorf("the failed Update's rename is in the channel index")
	}
	if got := reminderOf(t, b, n); !got.IsZero() {
		t.Errorf("the failed Update's reminder is kept (%s)", got)
	}
	if jobs := pending(t, b); len(jobs) != 0 {
		t.Errorf("the failed Update's jobs are pending: %v", ids(jobs))
	}
	view(t, b, func(tx store.Tx) error {
		evs, err := tx.Events(n)
		if err != nil || len(evs) != 0 {
			t.Errorf("events after the failed Update: %v, %v", evs, err)
		}
		open, err := tx.OpenIncidents()
		if err != nil || !slices.Equal(numbers(open), []uint64{n}) {
			t.Errorf("OpenIncidents after the failed Update = %v, %v; want [%d]", numbers(open), err, n)
		}
		for _, key := range []string{"doomed-key", "doomed-fact"} {
			if seen, err := tx.Seen(key); err != nil || seen {
				t.Errorf("Seen(%s) = %v, %v after the failed Update", key, seen, err)
			}
		}
		return nil
	})
	for name, next := range map[string]func() (store.Nudge, bool, error){"NextPostmortemNudge": b.NextPostmortemNudge, "NextArchive": b.NextArchive} {
		if _, ok, err := next(); ok || err != nil {
			t.Errorf("%s after the failed Update: %v, %v; want none", name, ok, err)
		}
	}
	if _, ok, err := b.NextReminder(); ok || err != nil {
		t.Errorf("NextReminder after the failed Update: %v, %v; want none", ok, err)
	}
	if err := b.WriteFailure(); err != nil {
		t.Errorf("WriteFailure after a failed callback = %v; only a failed commit is one", err)
	}
	// No number was spent: users see incident numbers. A backend that
	// takes them from a sequence skips the one the failed Update took
	// (exactly one: it created one incident), and never hands it out.
	skips := took && sequenceNumbers(b)
	want := n + 1
	if skips {
		want = n + 2
	}
	if got := create(t, b, newIncident("next", "", t0)); got != want {
		t.Errorf("the incident after the failed Update got number %d, want %d", got, want)
	}
	if skips {
		view(t, b, func(tx store.Tx) error {
			_, err := tx.Incident(n + 1)
			wantNotFound(t, "the failed Update's number", err)
			return nil
		})
	}
}

func testRollback(t *testing.T, b Backend) {
	n := create(t, b, newIncident("kept", "C1", t0))
	before := get(t, b, n)
	err := b.Update(t.Context(), func(tx store.Tx) error {
		if err := writeEverything(tx, n); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Update returned %v, want the callback's error", err)
	}
	wantUntouched(t, b, n, before, true)
}

func testPanic(t *testing.T, b Backend) {
	n := create(t, b, newIncident("kept", "C1", t0))
	before := get(t, b, n)
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = nil
				t.Errorf("Update let the callback's panic through: %v", r)
			}
		}()
		return b.Update(t.Context(), func(tx store.Tx) error {
			if err := writeEverything(tx, n); err != nil {
				return err
			}
			panic("storetest: callback panics")
		})
	}()
	if err == nil {
		t.Error("Update whose callback panicked returned nil")
	}
	wantUntouched(t, b, n, before, true)
}

func testCanceled(t *testing.T, b Backend) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	err := b.Update(ctx, func(tx store.Tx) error {
		ran = true
		return tx.CreateIncident(newIncident("canceled", "", t0))
	})
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Update with a canceled context: err %v, callback ran %v; want context.Canceled and not run", err, ran)
	}
	if got := create(t, b, newIncident("first", "", t0)); got != 1 {
		t.Errorf("first committed incident got number %d, want 1", got)
	}
}

func testViewReadOnly(t *testing.T, b Backend) {
	n := create(t, b, newIncident("kept", "C1", t0))
	before := get(t, b, n)
	writes := map[string]func(tx store.Tx) error{
		"CreateIncident": func(tx store.Tx) error { return tx.CreateIncident(newIncident("x", "", t0)) },
		"AppendEvent": func(tx store.Tx) error {
			_, err := tx.AppendEvent(n, incident.Event{Kind: incident.EventNote})
			return err
		},
		"Enqueue": func(tx store.Tx) error {
			_, err := tx.Enqueue(store.Job{Kind: "post"})
			return err
		},
		"MarkSeen": func(tx store.Tx) error {
			_, err := tx.MarkSeen("k", at(0))
			return err
		},
		"SetReminder": func(tx store.Tx) error { return tx.SetReminder(n, at(1)) },
	}
	for name, write := range writes {
		if err := b.View(write); err == nil {
			t.Errorf("%s inside View succeeded", name)
		}
	}
	wantUntouched(t, b, n, before, false)
}

// testConcurrent: read-modify-write Updates running at once lose nothing.
func testConcurrent(t *testing.T, b Backend) {
	n := create(t, b, newIncident("busy", "C1", t0))
	const workers, each = 8, 5
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				err := b.Update(t.Context(), func(tx store.Tx) error {
					inc, err := tx.Incident(n)
					if err != nil {
						return err
					}
					inc.Summary += "x"
					if err := tx.PutIncident(inc); err != nil {
						return err
					}
					if _, err := tx.AppendEvent(n, incident.Event{Kind: incident.EventNote}); err != nil {
						return err
					}
					_, err = tx.Enqueue(store.Job{Incident: n, Kind: "post"})
					return err
				})
				if err != nil {
					t.Errorf("concurrent Update: %v", err)
				}
			}
		})
	}
	wg.Wait()
	const total = workers * each
	if got := len(get(t, b, n).Summary); got != total {
		t.Errorf("after %d concurrent read-modify-writes the summary has %d of them", total, got)
	}
	view(t, b, func(tx store.Tx) error {
		evs, err := tx.Events(n)
		if err != nil {
			return err
		}
		for i, ev := range evs {
			if ev.Seq != uint64(i+1) {
				t.Fatalf("concurrent appends: event %d has Seq %d", i, ev.Seq)
			}
		}
		if len(evs) != total {
			t.Errorf("concurrent appends kept %d events, want %d", len(evs), total)
		}
		return nil
	})
	jobs := pending(t, b)
	if len(jobs) != total || !slices.IsSorted(ids(jobs)) || len(slices.Compact(ids(jobs))) != total {
		t.Errorf("concurrent enqueues: %d jobs with IDs %v, want %d distinct in order", len(jobs), ids(jobs), total)
	}
}
