package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// enqueue adds jobs in one Update and returns them as stored.
func enqueue(t *testing.T, b Backend, jobs ...store.Job) []store.Job {
	t.Helper()
	var out []store.Job
	update(t, b, func(tx store.Tx) error {
		out = out[:0]
		for _, j := range jobs {
			j, err := tx.Enqueue(j)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	return out
}

func ids(jobs []store.Job) []uint64 {
	out := make([]uint64, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

func pending(t *testing.T, b Backend) []store.Job {
	t.Helper()
	jobs, err := b.PendingJobs(0)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func testOutboxFIFO(t *testing.T, b Backend) {
	created := t0.Add(42 * time.Nanosecond)
	var want []store.Job
	want = append(want, enqueue(t, b, store.Job{Incident: 1, Kind: "post", Payload: json.RawMessage(`{"text":"first","n":1}`)})...)
	want = append(want, enqueue(t, b, store.Job{Incident: 2, Kind: "invite", CreatedAt: created})...)
	want = append(want, enqueue(t, b, store.Job{Incident: 1, Kind: "topic"}, store.Job{Kind: "announce"})...)
	want = append(want, enqueue(t, b, store.Job{Incident: 1, Kind: "archive"})...)
	for i, j := range want {
		if i > 0 && j.ID <= want[i-1].ID {
			t.Errorf("job IDs %v do not increase in enqueue order", ids(want))
			break
		}
		if j.CreatedAt.IsZero() {
			t.Errorf("job %d: CreatedAt not set", j.ID)
		}
	}
	if !want[1].CreatedAt.Equal(created) {
		t.Errorf("given CreatedAt %s replaced by %s", created, want[1].CreatedAt)
	}
	got := pending(t, b)
	sameJSON(t, "PendingJobs(0)", got, want)
	var inc1 []string
	for _, j := range got {
		if j.Incident == 1 {
			inc1 = append(inc1, j.Kind)
		}
	}
	if w := []string{"post", "topic", "archive"}; !slices.Equal(inc1, w) {
		t.Errorf("incident 1's jobs in queue order: %v, want %v", inc1, w)
	}
	if first2, err := b.PendingJobs(2); err != nil || !slices.Equal(ids(first2), ids(want[:2])) {
		t.Errorf("PendingJobs(2) = %v, %v; want %v", ids(first2), err, ids(want[:2]))
	}
	for _, tt := range []struct {
		after uint64
		limit int
		want  []store.Job
	}{
		{0, 0, want},
		{want[1].ID, 0, want[2:]},
		{want[1].ID, 1, want[2:3]},
		{want[4].ID, 0, nil},
	} {
		got, err := b.PendingJobsAfter(tt.after, tt.limit)
		if err != nil || !slices.Equal(ids(got), ids(tt.want)) {
			t.Errorf("PendingJobsAfter(%d, %d) = %v, %v; want %v", tt.after, tt.limit, ids(got), err, ids(tt.want))
		}
	}
	view(t, b, func(tx store.Tx) error {
		j, err := tx.Job(want[0].ID)
		if err != nil {
			return err
		}
		sameJSON(t, "Job(first)", j, want[0])
		_, err = tx.Job(999)
		wantNotFound(t, "Job(999)", err)
		return nil
	})
	if d, err := b.OutboxDepth(); err != nil || d != len(want) {
		t.Errorf("OutboxDepth = %d, %v; want %d", d, err, len(want))
	}
	err := b.Update(t.Context(), func(tx store.Tx) error {
		_, err := tx.Enqueue(store.Job{Incident: 1})
		return err
	})
	if err == nil {
		t.Error("Enqueue of a job without a kind succeeded")
	}
}

func testJobLifecycle(t *testing.T, b Backend) {
	jobs := enqueue(t, b, store.Job{Kind: "a"}, store.Job{Kind: "b"}, store.Job{Kind: "c"})
	a, bb, c := jobs[0].ID, jobs[1].ID, jobs[2].ID
	retryAt := t0.Add(5 * time.Minute)
	update(t, b, func(tx store.Tx) error {
		if err := tx.RescheduleJob(a, 2, retryAt, "slack said 500"); err != nil {
			return err
		}
		return tx.MarkJobMaybeDone(bb)
	})
	got := pending(t, b)
	if !slices.Equal(ids(got), []uint64{a, bb, c}) {
		t.Fatalf("after a reschedule the queue is %v, want %v (a job keeps its place)", ids(got), []uint64{a, bb, c})
	}
	if j := got[0]; j.Attempts != 2 || !j.NotBefore.Equal(retryAt) || j.LastError != "slack said 500" || j.MaybeDone {
		t.Errorf("rescheduled job = %+v, want Attempts 2, NotBefore %s, LastError kept, not MaybeDone", j, retryAt)
	}
	if !got[1].MaybeDone || got[2].MaybeDone {
		t.Errorf("MaybeDone = %v, %v; want only the marked job", got[1].MaybeDone, got[2].MaybeDone)
	}
	update(t, b, func(tx store.Tx) error { return tx.CompleteJob(a) })
	update(t, b, func(tx store.Tx) error { return tx.CompleteJob(a) }) // a retried completion
	update(t, b, func(tx store.Tx) error { return tx.CompleteJob(999) })
	if got := ids(pending(t, b)); !slices.Equal(got, []uint64{bb, c}) {
		t.Errorf("after CompleteJob the queue is %v, want %v", got, []uint64{bb, c})
	}
	view(t, b, func(tx store.Tx) error {
		_, err := tx.Job(a)
		wantNotFound(t, "Job(completed)", err)
		return nil
	})
	err := b.Update(t.Context(), func(tx store.Tx) error { return tx.RescheduleJob(a, 1, retryAt, "x") })
	wantNotFound(t, "RescheduleJob(completed)", err)
	err = b.Update(t.Context(), func(tx store.Tx) error { return tx.MarkJobMaybeDone(a) })
	wantNotFound(t, "MarkJobMaybeDone(completed)", err)

	// IDs are never reused, even once the queue is empty: a worker that
	// read up to c must see what comes next.
	update(t, b, func(tx store.Tx) error {
		if err := tx.CompleteJob(bb); err != nil {
			return err
		}
		return tx.CompleteJob(c)
	})
	if d, err := b.OutboxDepth(); err != nil || d != 0 {
		t.Errorf("OutboxDepth of an empty outbox = %d, %v", d, err)
	}
	next := enqueue(t, b, store.Job{Kind: "d"})[0]
	if next.ID <= c {
		t.Errorf("job enqueued after the queue emptied got ID %d, want above %d", next.ID, c)
	}
	if got, err := b.PendingJobsAfter(c, 0); err != nil || !slices.Equal(ids(got), []uint64{next.ID}) {
		t.Errorf("PendingJobsAfter(%d) = %v, %v; want [%d]", c, ids(got), err, next.ID)
	}
}
