package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// The postmortem nudge and auto-archive each keep an index of resolutions
// (postmortem_nudges, archives_due), read in resolution order; an entry is
// dropped in the transaction that acts on it, so it is considered once.
// The table names below are constants of this file, never user input.

// indexResolved enters inc, at its resolution time (now if it has none).
func (tx *pgTx) indexResolved(table string, inc *incident.Incident) error {
	at := inc.ResolvedAt
	if at.IsZero() {
		at = tx.s.now()
	}
	if _, err := tx.exec("INSERT INTO "+table+" (resolved_ns, incident) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		ns(at), inc.Number); err != nil {
		return fmt.Errorf("%s index: %w", table, err)
	}
	tx.markSchedule()
	return nil
}

func (tx *pgTx) resolvedDue(table string, by time.Time, limit int) ([]store.Nudge, error) {
	lim := any(nil)
	if limit > 0 {
		lim = limit
	}
	out, err := collect(tx, "SELECT incident, resolved_ns FROM "+table+" WHERE resolved_ns <= $1 ORDER BY resolved_ns, incident LIMIT $2",
		[]any{ns(by), lim}, scanNudge)
	if err != nil {
		return nil, fmt.Errorf("%s due: %w", table, err)
	}
	return out, nil
}

func (tx *pgTx) dropResolved(table string, n store.Nudge) error {
	if _, err := tx.exec("DELETE FROM "+table+" WHERE resolved_ns = $1 AND incident = $2", ns(n.Resolved), n.Incident); err != nil {
		return fmt.Errorf("drop %s entry of %s: %w", table, incident.FormatID(n.Incident), err)
	}
	return nil
}

func (s *Store) nextResolved(table string) (store.Nudge, bool, error) {
	var (
		n  store.Nudge
		at int64
	)
	err := s.pool.QueryRow(context.Background(), "SELECT incident, resolved_ns FROM "+table+" ORDER BY resolved_ns, incident LIMIT 1").Scan(&n.Incident, &at)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Nudge{}, false, nil
	case err != nil:
		return store.Nudge{}, false, s.wrap(dbError{fmt.Errorf("next %s entry: %w", table, err)})
	}
	n.Resolved = fromNS(at)
	return n, true, nil
}

func scanNudge(row pgx.CollectableRow) (store.Nudge, error) {
	var n store.Nudge
	var at int64
	err := row.Scan(&n.Incident, &at)
	n.Resolved = fromNS(at)
	return n, err
}

// PostmortemNudges returns the incidents resolved at or before by that are
// still in the postmortem-nudge index, earliest first.
func (tx *pgTx) PostmortemNudges(by time.Time) ([]store.Nudge, error) {
	return tx.resolvedDue("postmortem_nudges", by, 0)
}

// DropPostmortemNudge removes n from the index once acted on.
func (tx *pgTx) DropPostmortemNudge(n store.Nudge) error {
	return tx.dropResolved("postmortem_nudges", n)
}

// NextPostmortemNudge returns the earliest entry, and false if none.
func (s *Store) NextPostmortemNudge() (store.Nudge, bool, error) {
	return s.nextResolved("postmortem_nudges")
}

// ArchivesDue returns the incidents resolved at or before by that are
// still in the archive index, earliest first, at most limit (0: all).
func (tx *pgTx) ArchivesDue(by time.Time, limit int) ([]store.Nudge, error) {
	return tx.resolvedDue("archives_due", by, limit)
}

// DropArchive removes n from the archive index once acted on.
func (tx *pgTx) DropArchive(n store.Nudge) error { return tx.dropResolved("archives_due", n) }

// NextArchive returns the earliest entry of the archive index, and false
// if none.
func (s *Store) NextArchive() (store.Nudge, bool, error) { return s.nextResolved("archives_due") }
