package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/store"
)

// Replicas share one outbox. Before running a job, a replica claims it for
// a lease: ClaimJobs hands each job to one replica at a time, keeps each
// incident's jobs in the order their dependencies ask across replicas, and
// gives the jobs of a replica that died to another once their lease has
// run out.
//
// A job can be claimed once every job it waits for is done (gone from the
// outbox): the jobs of its lane (store.Job.Lane of its incident; a job of
// no incident is a lane of its own) below its store.Job.Barrier, and the
// jobs of its batch it lists in After. That is store.Job.Ready, the rule
// the worker applies over bbolt: the query below only gathers its inputs
// (the lowest pending ID of each candidate's lane that store.Job.Holds it,
// and which of its After jobs are pending), so the rule is written once. A declaration's calls are
// claimed together as soon as the channel exists, while an edit still
// waits for every job an earlier transaction enqueued (the post it edits),
// and a job with no dependency information waits for every earlier job of
// its lane, strictly FIFO. A lane's hanging webhook never holds up the
// incident's Slack jobs.
//
// Readiness only ever grows while a job is pending: jobs leave the outbox,
// and a job enqueued later has a higher ID than every one visible now (IDs
// are handed out in commit order, see Enqueue), so it can be no one's
// barrier or After. So readiness is read without locks, and only the
// claim itself takes them. A job whose lease expired is claimed again with
// MaybeDone set: its first owner may have acted before dying, so the next
// attempt looks before it acts again (the performers' look-up-before-post
// rule), which keeps a takeover exactly-once.
//
// Claims run in READ COMMITTED with FOR UPDATE SKIP LOCKED, the isolation
// that construct is made for: replicas claiming at once skip each other's
// rows instead of waiting or failing, and a row another replica claimed
// meanwhile is re-checked and skipped. Lease times come from the caller's
// clock, so replicas' clocks must agree to well within a lease (NTP does).

// ClaimJobs claims for owner up to limit due jobs (NotBefore at or before
// now) whose dependencies are done and that no replica holds a live lease
// on, in ID order, and returns them with their lease running until now +
// lease.
func (s *Store) ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.Job, error) {
	if owner == "" || lease <= 0 || limit <= 0 {
		return nil, fmt.Errorf("claim jobs: need an owner, a lease and a limit (got %q, %s, %d)", owner, lease, limit)
	}
	ready, err := s.readyJobs(ctx, now, limit)
	if err != nil || len(ready) == 0 {
		return nil, s.claimError(err)
	}
	var (
		jobs  []store.Job
		taken int
	)
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(ptx pgx.Tx) error {
		// Still unclaimed (or lapsed) and due: another replica may have
		// claimed or finished a job since readyJobs looked.
		rows, err := ptx.Query(ctx, `
			SELECT body, claimed_by IS NOT NULL FROM outbox
			WHERE id = ANY($1) AND not_before_ns <= $2 AND (claimed_by IS NULL OR lease_until_ns <= $2)
			ORDER BY id LIMIT $3
			FOR UPDATE SKIP LOCKED`, ready, ns(now), limit)
		if err != nil {
			return err
		}
		type claim struct {
			body     []byte
			takeover bool
		}
		claims, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (claim, error) {
			var c claim
			err := row.Scan(&c.body, &c.takeover)
			return c, err
		})
		if err != nil {
			return err
		}
		jobs, taken = jobs[:0], 0
		for _, c := range claims {
			var j store.Job
			if err := decode(c.body, &j); err != nil {
				return err
			}
			if c.takeover {
				j.MaybeDone = true
				taken++
			}
			body, err := json.Marshal(j)
			if err != nil {
				return err
			}
			if _, err := ptx.Exec(ctx, "UPDATE outbox SET claimed_by = $2, lease_until_ns = $3, body = $4 WHERE id = $1",
				j.ID, owner, ns(now.Add(lease)), body); err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return nil
	})
	if err != nil {
		return nil, s.claimError(err)
	}
	s.claims.Add(int64(len(jobs)))
	s.takeovers.Add(int64(taken))
	return jobs, nil
}

// claimError wraps a claim's error (nil: nil): a record that does not
// decode is not the database's fault.
func (s *Store) claimError(err error) error {
	if err == nil {
		return nil
	}
	var de decodeError
	if errors.As(err, &de) {
		return fmt.Errorf("claim jobs: %w", err)
	}
	return s.wrap(dbError{fmt.Errorf("claim jobs: %w", err)})
}

// readyJobs returns the IDs of up to limit due, unclaimed (or lapsed) jobs
// that store.Job.Ready lets start, in ID order. It reads the candidates a
// page at a time, each page four times the last, so that a claim among
// many ready jobs (reminders falling due together) reads a few rows, and
// one behind a long FIFO lane still ends in a few round trips.
func (s *Store) readyJobs(ctx context.Context, now time.Time, limit int) ([]uint64, error) {
	var ready []uint64
	after, page := uint64(0), max(4*limit, 32)
	for len(ready) < limit {
		rows, err := s.pool.Query(ctx, candidatesQuery, after, ns(now), page)
		if err != nil {
			return nil, err
		}
		type candidate struct {
			body    []byte
			first   uint64
			waiting []uint64
		}
		cands, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (candidate, error) {
			var c candidate
			err := row.Scan(&c.body, &c.first, &c.waiting)
			return c, err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range cands {
			var j store.Job
			if err := decode(c.body, &j); err != nil {
				return nil, err
			}
			after = j.ID
			if len(ready) < limit && j.Ready(c.first, func(id uint64) bool { return slices.Contains(c.waiting, id) }) {
				ready = append(ready, j.ID)
			}
		}
		if len(cands) < page {
			break
		}
		page *= 4
	}
	return ready, nil
}

// candidatesQuery lists, after ID $1, up to $3 jobs due at $2 that no
// replica holds a live lease on, each with what store.Job.Ready needs: the
// lowest pending ID of its lane among the jobs that store.Job.Holds it (a
// Background job holds only Background ones), and those of its After jobs
// still pending.
const candidatesQuery = `
	SELECT o.body,
		CASE WHEN o.incident = 0 THEN o.id
			ELSE (SELECT min(p.id) FROM outbox p WHERE p.incident = o.incident AND p.lane = o.lane
				AND (o.body->>'background' = 'true' OR p.body->>'background' IS DISTINCT FROM 'true')) END,
		ARRAY(SELECT p.id FROM outbox p WHERE p.id IN (
			SELECT a::bigint FROM json_array_elements_text(
				CASE WHEN json_typeof(o.body->'after') = 'array' THEN o.body->'after' ELSE '[]'::json END) a))
	FROM outbox o
	WHERE o.id > $1 AND o.not_before_ns <= $2 AND (o.claimed_by IS NULL OR o.lease_until_ns <= $2)
	ORDER BY o.id LIMIT $3`

// RenewLeases extends to now + lease the leases owner still holds on the
// given jobs, and returns the IDs it no longer holds (completed, or taken
// over after its lease ran out): a replica renews while a job runs, and
// stops caring about a job it lost.
func (s *Store) RenewLeases(ctx context.Context, owner string, ids []uint64, now time.Time, lease time.Duration) (lost []uint64, err error) {
	rows, err := s.pool.Query(ctx, `UPDATE outbox SET lease_until_ns = $3
		WHERE id = ANY($1) AND claimed_by = $2 AND lease_until_ns > $4 RETURNING id`,
		ids, owner, ns(now.Add(lease)), ns(now))
	if err != nil {
		return nil, s.wrap(dbError{fmt.Errorf("renew leases: %w", err)})
	}
	kept, err := pgx.CollectRows(rows, pgx.RowTo[uint64])
	if err != nil {
		return nil, s.wrap(dbError{fmt.Errorf("renew leases: %w", err)})
	}
	held := make(map[uint64]bool, len(kept))
	for _, id := range kept {
		held[id] = true
	}
	for _, id := range ids {
		if !held[id] {
			lost = append(lost, id)
		}
	}
	return lost, nil
}
