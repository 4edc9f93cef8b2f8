package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// The methods a copy of the store needs (package storecopy): the pending
// jobs and the delivery keys enumerated exactly, and the counters read and
// raised.

func testForEachJob(t *testing.T, b Backend) {
	jobs := enqueue(t, b,
		store.Job{Incident: 1, Kind: "post", Payload: json.RawMessage(`{"text":"a"}`), CreatedAt: t0.Add(7 * time.Nanosecond)},
		store.Job{Incident: 2, Kind: "invite"},
		store.Job{Incident: 1, Kind: "topic"},
		store.Job{Kind: "announce"},
	)
	update(t, b, func(tx store.Tx) error {
		if err := tx.CompleteJob(jobs[1].ID); err != nil {
			return err
		}
		if err := tx.RescheduleJob(jobs[2].ID, 3, t0.Add(time.Minute+5*time.Nanosecond), "ratelimited"); err != nil {
			return err
		}
		return tx.MarkJobMaybeDone(jobs[3].ID)
	})
	want := pending(t, b)
	if len(want) != 3 {
		t.Fatalf("pending jobs: %d, want 3", len(want))
	}
	var got []store.Job
	view(t, b, func(tx store.Tx) error {
		return tx.ForEachJob(func(j store.Job) error { got = append(got, j); return nil })
	})
	sameJSON(t, "ForEachJob", got, want)
	if len(got) == 3 && (got[1].Attempts != 3 || got[1].LastError != "ratelimited" || !got[2].MaybeDone) {
		t.Errorf("ForEachJob lost a job's state: %+v", got)
	}
	calls := 0
	view(t, b, func(tx store.Tx) error {
		if err := tx.ForEachJob(func(store.Job) error { calls++; return errStop }); err != errStop {
			t.Errorf("ForEachJob returned %v, want fn's error", err)
		}
		return nil
	})
	if calls != 1 {
		t.Errorf("ForEachJob went on after fn's error: %d calls", calls)
	}
}

func testForEachDeliveryKey(t *testing.T, b Backend) {
	update(t, b, func(tx store.Tx) error {
		for _, k := range []struct {
			key string
			at  time.Time
		}{{"ev-b", t0.Add(3 * time.Nanosecond)}, {"ev-old", t0.Add(-time.Hour)}, {"ev-a", t0.Add(time.Second)}, {"msg-marked", t0}} {
			if _, err := tx.MarkSeen(k.key, k.at); err != nil {
				return err
			}
		}
		for _, key := range []string{"msg-2", "msg-marked", "Msg-1"} {
			if _, err := tx.Remember(key); err != nil {
				return err
			}
		}
		_, err := tx.PruneSeen(t0.Add(-time.Minute)) // forgets ev-old
		return err
	})
	want := []store.DeliveryKey{
		{Key: "Msg-1", Remembered: true},
		{Key: "ev-a", At: t0.Add(time.Second)},
		{Key: "ev-b", At: t0.Add(3 * time.Nanosecond)},
		{Key: "msg-2", Remembered: true},
		{Key: "msg-marked", Remembered: true},
	}
	var got []store.DeliveryKey
	view(t, b, func(tx store.Tx) error {
		return tx.ForEachDeliveryKey(func(k store.DeliveryKey) error { got = append(got, k); return nil })
	})
	if len(got) != len(want) {
		t.Fatalf("ForEachDeliveryKey: %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i].Key != want[i].Key || got[i].Remembered != want[i].Remembered || !got[i].At.Equal(want[i].At) {
			t.Errorf("key %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	view(t, b, func(tx store.Tx) error {
		if err := tx.ForEachDeliveryKey(func(store.DeliveryKey) error { return errStop }); err != errStop {
			t.Errorf("ForEachDeliveryKey returned %v, want fn's error", err)
		}
		return nil
	})
}

func counters(t *testing.T, b Backend) store.Counters {
	t.Helper()
	var c store.Counters
	view(t, b, func(tx store.Tx) error {
		var err error
		c, err = tx.Counters()
		return err
	})
	return c
}

func testCounters(t *testing.T, b Backend) {
	if c := counters(t, b); c != (store.Counters{}) {
		t.Errorf("a new store's counters: %+v, want zero", c)
	}
	create(t, b, newIncident("one", "", t0))
	create(t, b, newIncident("two", "", t0))
	jobs := enqueue(t, b, store.Job{Kind: "a"}, store.Job{Kind: "b"})
	update(t, b, func(tx store.Tx) error { return tx.CompleteJob(jobs[1].ID) })
	if c, want := counters(t, b), (store.Counters{Incident: 2, Job: jobs[1].ID}); c != want {
		t.Errorf("counters after 2 incidents and 2 jobs, one done: %+v, want %+v", c, want)
	}

	// A rolled-back raise leaves the counters alone, so a failed copy can
	// be run again.
	err := b.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.RaiseCounters(store.Counters{Incident: 50, Job: 500}); err != nil {
			return err
		}
		return errStop
	})
	if err != errStop {
		t.Fatalf("Update: %v, want errStop", err)
	}
	if c, want := counters(t, b), (store.Counters{Incident: 2, Job: jobs[1].ID}); c != want {
		t.Errorf("counters after a rolled-back raise: %+v, want %+v", c, want)
	}

	update(t, b, func(tx store.Tx) error { return tx.RaiseCounters(store.Counters{Incident: 9, Job: 99}) })
	if n := create(t, b, newIncident("after raise", "", t0)); n != 10 {
		t.Errorf("incident after raising to 9: INC-%d, want INC-10", n)
	}
	if j := enqueue(t, b, store.Job{Kind: "c"}); j[0].ID != 100 {
		t.Errorf("job after raising to 99: %d, want 100", j[0].ID)
	}
	// Never lowered: a number or ID is never handed out twice.
	update(t, b, func(tx store.Tx) error { return tx.RaiseCounters(store.Counters{Incident: 3, Job: 4}) })
	if c, want := counters(t, b), (store.Counters{Incident: 10, Job: 100}); c != want {
		t.Errorf("counters after a lower raise: %+v, want %+v", c, want)
	}
	if n := create(t, b, newIncident("next", "", t0)); n != 11 {
		t.Errorf("incident after a lower raise: INC-%d, want INC-11", n)
	}
	var err2 error
	_ = b.View(func(tx store.Tx) error { err2 = tx.RaiseCounters(store.Counters{Incident: 20}); return nil })
	if err2 == nil {
		t.Errorf("RaiseCounters inside View succeeded")
	}
}
