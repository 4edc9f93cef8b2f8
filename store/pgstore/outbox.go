package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/store"
)

// enqueueLock is the transaction-level advisory lock key taken before an
// outbox ID: held until commit, it makes ID order commit order, which
// PendingJobsAfter relies on (a sequence alone hands out 5 and 6 to two
// transactions that may commit 6 first).
const enqueueLock int64 = 0x6f7574626f78 // "outbox"

// Enqueue adds j to the outbox and returns it with ID assigned (increasing
// in commit order) and CreatedAt set to now if it was zero. OnEnqueue runs
// once the transaction commits.
func (tx *pgTx) Enqueue(j store.Job) (store.Job, error) {
	if j.Kind == "" {
		return store.Job{}, fmt.Errorf("enqueue: job has no kind")
	}
	if err := tx.nextJobID(&j); err != nil {
		return store.Job{}, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = tx.s.now()
	}
	body, err := json.Marshal(j)
	if err != nil {
		return store.Job{}, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	if err := tx.later("INSERT INTO outbox (id, incident, lane, body, not_before_ns) VALUES ($1, $2, $3, $4, $5)",
		j.ID, j.Incident, j.Lane, body, notBefore(j)); err != nil {
		return store.Job{}, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	tx.markWake()
	return j, nil
}

// nextJobID assigns j the next outbox ID. The first of a transaction takes
// the lock and asks the sequence; while the lock is held no one else takes
// an ID, so the next ones are counted here, and the sequence is moved past
// them with the transaction's next request (see batch.go).
func (tx *pgTx) nextJobID(j *store.Job) error {
	if tx.lastJob != 0 {
		tx.lastJob++
		j.ID = tx.lastJob
		return nil
	}
	if err := tx.later("SELECT pg_advisory_xact_lock($1)", enqueueLock); err != nil {
		return err
	}
	if _, err := tx.scanRow("SELECT nextval('outbox_ids')", nil, &j.ID); err != nil {
		return err
	}
	tx.lastJob, tx.jobSent = j.ID, j.ID
	return nil
}

// Job returns pending job id; the error wraps store.ErrNotFound once it is
// completed or if it never existed.
func (tx *pgTx) Job(id uint64) (store.Job, error) {
	var body []byte
	found, err := tx.scanRow("SELECT body FROM outbox WHERE id = $1", []any{id}, &body)
	if err != nil {
		return store.Job{}, fmt.Errorf("job %d: %w", id, err)
	}
	if !found {
		return store.Job{}, fmt.Errorf("job %d: %w", id, store.ErrNotFound)
	}
	var j store.Job
	if err := decode(body, &j); err != nil {
		return store.Job{}, fmt.Errorf("job %d: %w", id, err)
	}
	return j, nil
}

// CompleteJob removes job id from the outbox; completing a job already
// gone is not an error.
func (tx *pgTx) CompleteJob(id uint64) error {
	if _, err := tx.exec("DELETE FROM outbox WHERE id = $1", id); err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	return nil
}

// RescheduleJob records a failed attempt: the job keeps its place but is
// not to be run before notBefore. The error wraps store.ErrNotFound if the
// job is gone.
func (tx *pgTx) RescheduleJob(id uint64, attempts int, notBefore time.Time, lastErr string) error {
	j, err := tx.Job(id)
	if err != nil {
		return fmt.Errorf("reschedule: %w", err)
	}
	j.Attempts, j.NotBefore, j.LastError = attempts, notBefore, lastErr
	if err := tx.putJob(j); err != nil {
		return fmt.Errorf("reschedule job %d: %w", id, err)
	}
	// The attempt is over: whoever claimed the job lets it go, so that
	// any replica may run the next one once it is due.
	if _, err := tx.exec("UPDATE outbox SET claimed_by = NULL, lease_until_ns = NULL WHERE id = $1", id); err != nil {
		return fmt.Errorf("reschedule job %d: %w", id, err)
	}
	return nil
}

// MarkJobMaybeDone sets the job's MaybeDone until it completes. The error
// wraps store.ErrNotFound if the job is gone.
func (tx *pgTx) MarkJobMaybeDone(id uint64) error {
	j, err := tx.Job(id)
	if err != nil {
		return fmt.Errorf("mark job maybe done: %w", err)
	}
	j.MaybeDone = true
	if err := tx.putJob(j); err != nil {
		return fmt.Errorf("mark job %d maybe done: %w", id, err)
	}
	return nil
}

func (tx *pgTx) putJob(j store.Job) error {
	body, err := json.Marshal(j)
	if err != nil {
		return err
	}
	_, err = tx.exec("UPDATE outbox SET body = $2, not_before_ns = $3 WHERE id = $1", j.ID, body, notBefore(j))
	return err
}

// notBefore is the job's NotBefore as stored in not_before_ns; a zero time
// (run at once) is 0, before every real instant.
func notBefore(j store.Job) int64 {
	if j.NotBefore.IsZero() {
		return 0
	}
	return ns(j.NotBefore)
}

// PendingJobs returns up to limit jobs (all if limit <= 0) in ID order,
// including those whose NotBefore is still ahead: the worker decides.
func (s *Store) PendingJobs(limit int) ([]store.Job, error) { return s.PendingJobsAfter(0, limit) }

// PendingJobsAfter is PendingJobs for the jobs whose ID is greater than
// after. IDs are handed out in commit order (see Enqueue), so nothing
// committed later has a lower ID.
func (s *Store) PendingJobsAfter(after uint64, limit int) ([]store.Job, error) {
	var jobs []store.Job
	// The outbox's Store interface has no context (bbolt's reads wait on
	// nothing); a page of jobs is a short read.
	err := s.view(context.Background(), func(tx *pgTx) error {
		lim := any(nil) // LIMIT NULL: no limit
		if limit > 0 {
			lim = limit
		}
		var err error
		jobs, err = collect(tx, "SELECT body FROM outbox WHERE id > $1 ORDER BY id LIMIT $2", []any{after, lim}, scanJob)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pending jobs: %w", err)
	}
	return jobs, nil
}

func scanJob(row pgx.CollectableRow) (store.Job, error) {
	var body []byte
	var j store.Job
	if err := row.Scan(&body); err != nil {
		return j, err
	}
	return j, decode(body, &j)
}

// OutboxDepth is the number of pending jobs.
func (s *Store) OutboxDepth() (int, error) {
	var n int
	if err := s.pool.QueryRow(context.Background(), "SELECT count(*) FROM outbox").Scan(&n); err != nil {
		return 0, s.wrap(dbError{fmt.Errorf("outbox depth: %w", err)})
	}
	return n, nil
}
