package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/store"
)

// Replicas share one outbox. Before running a job, a replica claims it for
// a lease: ClaimJobs hands each job to one replica at a time, keeps each
// incident's jobs in order across replicas, and gives the jobs of a
// replica that died to another once their lease has run out.
//
// Only the head of a lane can be claimed: an incident's oldest pending job
// (a job of no incident is a lane of its own). The next job of the
// incident becomes the head only when the head leaves the outbox
// (CompleteJob), so two replicas never run one incident's jobs out of
// order. A job whose lease expired is claimed again with MaybeDone set: its
// first owner may have acted before dying, so the next attempt looks
// before it acts again (the performers' look-up-before-post rule), which
// keeps a takeover exactly-once.
//
// Claims run in READ COMMITTED with FOR UPDATE SKIP LOCKED, the isolation
// that construct is made for: replicas claiming at once skip each other's
// rows instead of waiting or failing, and a row another replica claimed
// meanwhile is re-checked and skipped. Lease times come from the caller's
// clock, so replicas' clocks must agree to well within a lease (NTP does).

// ClaimJobs claims for owner up to limit due jobs (NotBefore at or before
// now) that head their lane and that no replica holds a live lease on, in
// ID order, and returns them with their lease running until now + lease.
func (s *Store) ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.Job, error) {
	if owner == "" || lease <= 0 || limit <= 0 {
		return nil, fmt.Errorf("claim jobs: need an owner, a lease and a limit (got %q, %s, %d)", owner, lease, limit)
	}
	var jobs []store.Job
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(ptx pgx.Tx) error {
		rows, err := ptx.Query(ctx, `
			WITH heads AS (
				SELECT DISTINCT ON (lane) id FROM (
					SELECT id, CASE WHEN incident = 0 THEN -id ELSE incident END AS lane FROM outbox
				) lanes ORDER BY lane, id
			)
			SELECT o.body, o.claimed_by IS NOT NULL FROM outbox o JOIN heads USING (id)
			WHERE o.not_before_ns <= $1 AND (o.claimed_by IS NULL OR o.lease_until_ns <= $1)
			ORDER BY o.id LIMIT $2
			FOR UPDATE OF o SKIP LOCKED`, ns(now), limit)
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
		jobs = jobs[:0]
		for _, c := range claims {
			var j store.Job
			if err := decode(c.body, &j); err != nil {
				return err
			}
			if c.takeover && !j.MaybeDone {
				j.MaybeDone = true
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
		var de decodeError
		if errors.As(err, &de) {
			return nil, fmt.Errorf("claim jobs: %w", err)
		}
		return nil, s.wrap(dbError{fmt.Errorf("claim jobs: %w", err)})
	}
	return jobs, nil
}

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
