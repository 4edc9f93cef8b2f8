package boltstore

import (
	"encoding/json"
	"fmt"
	"time"
)

// Enqueue adds j to the outbox and returns it with ID assigned (increasing
// across the store's life, so ID order is enqueue order) and CreatedAt set to
// now if it was zero. OnEnqueue runs once the transaction commits.
func (tx *boltTx) Enqueue(j Job) (Job, error) {
	if j.Kind == "" {
		return Job{}, fmt.Errorf("enqueue: job has no kind")
	}
	outbox, err := tx.bucket(bucketOutbox)
	if err != nil {
		return Job{}, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	id, err := outbox.NextSequence()
	if err != nil {
		return Job{}, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	j.ID = id
	if j.CreatedAt.IsZero() {
		j.CreatedAt = tx.s.now()
	}
	if err := putJob(outbox, id, j); err != nil {
		return Job{}, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	tx.s.enqueued.arm(tx.btx)
	return j, nil
}

// Job returns pending job id; the error wraps ErrNotFound once it is
// completed or if it never existed.
func (tx *boltTx) Job(id uint64) (Job, error) {
	outbox, err := tx.bucket(bucketOutbox)
	if err != nil {
		return Job{}, fmt.Errorf("job %d: %w", id, err)
	}
	var j Job
	found, err := getJSON(outbox, u64Key(id), &j)
	if err != nil {
		return Job{}, fmt.Errorf("job %d: %w", id, err)
	}
	if !found {
		return Job{}, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	return j, nil
}

// CompleteJob removes job id from the outbox. Completing a job that is
// already gone is not an error, so a retried completion is harmless.
func (tx *boltTx) CompleteJob(id uint64) error {
	outbox, err := tx.bucket(bucketOutbox)
	if err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	if err := outbox.Delete(u64Key(id)); err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	return nil
}

// RescheduleJob records a failed attempt: the job keeps its place in the
// queue but is not to be run before notBefore. The error wraps ErrNotFound if
// the job is gone.
func (tx *boltTx) RescheduleJob(id uint64, attempts int, notBefore time.Time, lastErr string) error {
	j, err := tx.Job(id)
	if err != nil {
		return fmt.Errorf("reschedule: %w", err)
	}
	j.Attempts = attempts
	j.NotBefore = notBefore
	j.LastError = lastErr
	outbox, err := tx.bucket(bucketOutbox)
	if err != nil {
		return fmt.Errorf("reschedule job %d: %w", id, err)
	}
	if err := putJob(outbox, id, j); err != nil {
		return fmt.Errorf("reschedule job %d: %w", id, err)
	}
	return nil
}

// MarkJobMaybeDone sets the job's MaybeDone; it stays set until the job
// completes. The error wraps ErrNotFound if the job is gone.
func (tx *boltTx) MarkJobMaybeDone(id uint64) error {
	j, err := tx.Job(id)
	if err != nil {
		return fmt.Errorf("mark job maybe done: %w", err)
	}
	j.MaybeDone = true
	outbox, err := tx.bucket(bucketOutbox)
	if err != nil {
		return fmt.Errorf("mark job %d maybe done: %w", id, err)
	}
	if err := putJob(outbox, id, j); err != nil {
		return fmt.Errorf("mark job %d maybe done: %w", id, err)
	}
	return nil
}

// PendingJobs returns up to limit jobs (all if limit <= 0) in ID order,
// including those whose NotBefore is still ahead: the worker decides.
func (s *Store) PendingJobs(limit int) ([]Job, error) {
	return s.PendingJobsAfter(0, limit)
}

// PendingJobsAfter is PendingJobs for the jobs whose ID is greater than
// after: a worker that has read the queue once reads only what is new.
// Job IDs grow in commit order, so nothing committed later has a lower ID.
func (s *Store) PendingJobsAfter(after uint64, limit int) ([]Job, error) {
	var jobs []Job
	err := s.view(func(tx *boltTx) error {
		outbox, err := tx.bucket(bucketOutbox)
		if err != nil {
			return err
		}
		c := outbox.Cursor()
		for k, v := c.Seek(u64Key(after + 1)); k != nil && (limit <= 0 || len(jobs) < limit); k, v = c.Next() {
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("decode job key %x: %w", k, err)
			}
			jobs = append(jobs, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending jobs: %w", err)
	}
	return jobs, nil
}

// OutboxDepth is the number of pending jobs.
func (s *Store) OutboxDepth() (int, error) {
	n := 0
	err := s.view(func(tx *boltTx) error {
		outbox, err := tx.bucket(bucketOutbox)
		if err != nil {
			return err
		}
		c := outbox.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox depth: %w", err)
	}
	return n, nil
}
