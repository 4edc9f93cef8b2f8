// Package storecopy copies everything a stopped incidentbot keeps from one
// store to another, whatever their backends (bbolt to PostgreSQL and back),
// so the bot started on the copy continues exactly where it stopped.
//
// It works through store.Tx alone. The copy is one transaction on the
// target, which must be empty, reading one snapshot of the source: it
// lands whole or not at all, and a failed copy can simply be run again.
// What it keeps:
//
//   - incidents, with their numbers and UUIDs; events with their seqs;
//     the reminders of open incidents; the postmortem-nudge and archive
//     entries of resolved incidents as they stand (entries already acted
//     on stay gone), at the incident's resolution time. The indexes are
//     built from the records: an entry that stands for no record, or for
//     one in another state, is damage (`incidentbot check` reports it)
//     that the copy leaves behind;
//   - pending outbox jobs with their IDs, so their order, their payloads,
//     attempts, not-before and maybe-done stay as they were: a job's ID
//     tags the Slack messages it posts, and a job that may have posted
//     already looks for that tag before it posts again;
//   - delivery keys: remembered ones for good (a message captured to a
//     timeline is not captured twice), the others with the time they
//     were seen, so pruning goes on as before;
//   - the integrations' records: each Alertmanager alert group with its
//     incident and firing alerts, so the next notification of a known
//     group updates that incident rather than declaring another; the
//     declarations from alerts the rate limit still counts; and each
//     Idempotency-Key of the HTTP API with what it produced, so a retry
//     is not declared twice;
//   - the counters: the next incident number and job ID continue after the
//     source's, never reusing one.
//
// Afterwards Copy counts both stores again and compares them.
package storecopy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// Store is what a copy needs of a backend: *boltstore.Store and
// *pgstore.Store satisfy it. The target must index archives
// (boltstore.Options.IndexArchives, pgstore.Options.IndexArchives), or
// the source's archive entries cannot be recreated.
type Store interface {
	Update(ctx context.Context, fn func(tx store.Tx) error) error
	View(fn func(tx store.Tx) error) error
}

// viewIn reads st in one snapshot that ends with ctx where the backend's
// reads wait on a server (pgstore's ViewContext): a copy reads the whole
// store, and an interrupted copy must not keep reading.
func viewIn(ctx context.Context, st Store, fn func(tx store.Tx) error) error {
	if v, ok := st.(interface {
		ViewContext(ctx context.Context, fn func(tx store.Tx) error) error
	}); ok {
		return v.ViewContext(ctx, fn)
	}
	return st.View(fn)
}

// ErrNotEmpty is wrapped by Copy when the target already holds data; the
// target is left as it was.
var ErrNotEmpty = errors.New("target store is not empty")

// ErrMismatch is wrapped by Copy when the committed copy, counted again,
// differs from the source.
var ErrMismatch = errors.New("the copy differs from the source")

// end is later than any instant a store keeps: reading the indexes "due
// by end" reads all of them.
var end = time.Unix(0, math.MaxInt64).UTC()

// Copy copies everything from src into dst, which must be empty, and then
// verifies the copy by counting both. It returns what it copied.
func Copy(ctx context.Context, src, dst Store) (Tally, error) {
	err := dst.Update(ctx, func(out store.Tx) error {
		if err := requireEmpty(out); err != nil {
			return err
		}
		return viewIn(ctx, src, func(in store.Tx) error { return copyAll(ctx, in, out) })
	})
	if err != nil {
		return Tally{}, err
	}
	want, err := Count(src)
	if err != nil {
		return Tally{}, fmt.Errorf("count the source: %w", err)
	}
	got, err := Count(dst)
	if err != nil {
		return want, fmt.Errorf("count the copy: %w", err)
	}
	if diff := want.Diff(got); diff != "" {
		return want, fmt.Errorf("%w (%s); it was committed: empty the target before copying again", ErrMismatch, diff)
	}
	return want, nil
}

// requireEmpty refuses a target that holds anything a bot wrote.
func requireEmpty(tx store.Tx) error {
	var what []string
	if err := tx.ForEachIncident(func(*incident.Incident) error { return errStop }); errors.Is(err, errStop) {
		what = append(what, "incidents")
	} else if err != nil {
		return err
	}
	if err := tx.ForEachJob(func(store.Job) error { return errStop }); errors.Is(err, errStop) {
		what = append(what, "outbox jobs")
	} else if err != nil {
		return err
	}
	if n, err := tx.SeenCount(); err != nil {
		return err
	} else if n > 0 {
		what = append(what, "delivery keys")
	}
	more, err := integrationsHeld(tx)
	if err != nil {
		return err
	}
	what = append(what, more...)
	if len(what) > 0 {
		return fmt.Errorf("%w: it holds %s", ErrNotEmpty, join(what))
	}
	return nil
}

var errStop = errors.New("stop")

// copyAll copies in to out, in the order the source came to be.
func copyAll(ctx context.Context, in, out store.Tx) error {
	resolved, err := resolutionEntries(in)
	if err != nil {
		return err
	}
	// at mirrors out's counters, so they are raised only across a gap
	// (a raise costs round trips on a database).
	at, err := out.Counters()
	if err != nil {
		return err
	}
	err = in.ForEachIncident(func(inc *incident.Incident) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if inc.Number-1 > at.Incident {
			if err := out.RaiseCounters(store.Counters{Incident: inc.Number - 1}); err != nil {
				return fmt.Errorf("copy %s: %w", inc.ID(), err)
			}
		}
		at.Incident = inc.Number
		return copyIncident(in, out, inc, resolved[inc.Number].at(inc))
	})
	if err != nil {
		return err
	}
	err = in.ForEachJob(func(j store.Job) error {
		if j.ID-1 > at.Job {
			if err := out.RaiseCounters(store.Counters{Job: j.ID - 1}); err != nil {
				return fmt.Errorf("copy job %d: %w", j.ID, err)
			}
		}
		at.Job = j.ID
		got, err := out.Enqueue(j)
		if err != nil {
			return fmt.Errorf("copy job %d: %w", j.ID, err)
		}
		if got.ID != j.ID {
			return fmt.Errorf("copy job %d: the target gave it ID %d", j.ID, got.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = in.ForEachDeliveryKey(func(k store.DeliveryKey) error {
		var err error
		if k.Remembered {
			_, err = out.Remember(k.Key)
		} else {
			_, err = out.MarkSeen(k.Key, k.At)
		}
		if err != nil {
			return fmt.Errorf("copy delivery key: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := copyIntegrations(in, out); err != nil {
		return err
	}
	c, err := in.Counters()
	if err != nil {
		return err
	}
	return out.RaiseCounters(c)
}

// copyIncident creates inc in out under its own number (out's counter is
// one below it), then its events
// and reminder. The resolution indexes can only be entered the way the bot
// enters them, by resolving an open incident (PutIncident): so a resolved
// incident still indexed is created open and resolved as of its entries'
// time (see resolveAt).
func copyIncident(in, out store.Tx, inc *incident.Incident, idx entries) error {
	id := inc.ID()
	indexed := !inc.Open() && (idx.nudge != nil || idx.archive != nil)
	rec := *inc
	if indexed {
		rec.Status, rec.ResolvedAt = incident.Investigating, time.Time{}
	}
	if err := out.CreateIncident(&rec); err != nil {
		return fmt.Errorf("copy %s: %w", id, err)
	}
	if rec.Number != inc.Number {
		return fmt.Errorf("copy %s: the target numbered it %s", id, rec.ID())
	}
	if indexed {
		if err := resolveAt(out, inc, idx); err != nil {
			return fmt.Errorf("copy %s: %w", id, err)
		}
	}
	events, err := in.Events(inc.Number)
	if err != nil {
		return fmt.Errorf("copy %s: %w", id, err)
	}
	for _, ev := range events {
		got, err := out.AppendEvent(inc.Number, ev)
		if err != nil {
			return fmt.Errorf("copy %s: %w", id, err)
		}
		if got.Seq != ev.Seq {
			return fmt.Errorf("copy %s: its event %d became %d (the source's timeline has a gap)", id, ev.Seq, got.Seq)
		}
	}
	due, ok, err := in.Reminder(inc.Number)
	// A resolved incident has no reminder (resolving drops it): one left
	// over is damage, which the copy leaves behind.
	if err == nil && ok && inc.Open() {
		err = out.SetReminder(inc.Number, due)
	}
	if err != nil {
		return fmt.Errorf("copy %s: reminder: %w", id, err)
	}
	return nil
}

func join(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	s := items[0]
	for _, it := range items[1 : len(items)-1] {
		s += ", " + it
	}
	return s + " and " + items[len(items)-1]
}
