package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// at is t0 plus m minutes.
func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

// reminderOf reads incident n's reminder: its due time, or zero.
func reminderOf(t *testing.T, b Backend, n uint64) time.Time {
	t.Helper()
	var due time.Time
	view(t, b, func(tx store.Tx) error {
		d, ok, err := tx.Reminder(n)
		if ok {
			due = d
		}
		return err
	})
	return due
}

func fmtReminders(rs []store.Reminder) string {
	out := ""
	for _, r := range rs {
		out += fmt.Sprintf("[%d@%s]", r.Incident, r.Due.UTC().Format(time.Kitchen))
	}
	return out
}

func testReminders(t *testing.T, b Backend) {
	a := create(t, b, newIncident("a", "", t0))
	c := create(t, b, newIncident("b", "", t0))
	d := create(t, b, newIncident("c", "", t0))
	set := func(n uint64, due time.Time) {
		t.Helper()
		update(t, b, func(tx store.Tx) error { return tx.SetReminder(n, due) })
	}
	set(a, at(30))
	set(c, at(10))
	set(d, at(20))
	due := func(now time.Time, want ...store.Reminder) {
		t.Helper()
		var got []store.Reminder
		view(t, b, func(tx store.Tx) error {
			var err error
			got, err = tx.DueReminders(now)
			return err
		})
		if fmtReminders(got) != fmtReminders(want) {
			t.Errorf("DueReminders(%s) = %s, want %s", now.Format(time.Kitchen), fmtReminders(got), fmtReminders(want))
		}
	}
	next := func(want store.Reminder, wantOK bool) {
		t.Helper()
		got, ok, err := b.NextReminder()
		if err != nil || ok != wantOK || (ok && (got.Incident != want.Incident || !got.Due.Equal(want.Due))) {
			t.Errorf("NextReminder = %s %v %v, want %s %v", fmtReminders([]store.Reminder{got}), ok, err, fmtReminders([]store.Reminder{want}), wantOK)
		}
	}
	if got := reminderOf(t, b, a); !got.Equal(at(30)) {
		t.Errorf("Reminder(a) = %s, want %s", got, at(30))
	}
	due(at(20), store.Reminder{Incident: c, Due: at(10)}, store.Reminder{Incident: d, Due: at(20)})
	next(store.Reminder{Incident: c, Due: at(10)}, true)

	set(c, at(40)) // replaces the earlier one: one reminder per incident
	due(at(20), store.Reminder{Incident: d, Due: at(20)})
	due(at(60), store.Reminder{Incident: d, Due: at(20)}, store.Reminder{Incident: a, Due: at(30)}, store.Reminder{Incident: c, Due: at(40)})
	next(store.Reminder{Incident: d, Due: at(20)}, true)

	update(t, b, func(tx store.Tx) error { return tx.ClearReminder(d) })
	update(t, b, func(tx store.Tx) error { return tx.ClearReminder(d) }) // none: not an error
	if got := reminderOf(t, b, d); !got.IsZero() {
		t.Errorf("cleared reminder still due at %s", got)
	}
	resolve(t, b, a, at(50)) // a resolved incident loses its reminder
	if got := reminderOf(t, b, a); !got.IsZero() {
		t.Errorf("resolved incident's reminder still due at %s", got)
	}
	next(store.Reminder{Incident: c, Due: at(40)}, true)
	update(t, b, func(tx store.Tx) error { return tx.ClearReminder(c) })
	next(store.Reminder{}, false)
	due(at(999))

	err := b.Update(t.Context(), func(tx store.Tx) error { return tx.SetReminder(99, at(1)) })
	wantNotFound(t, "SetReminder(99)", err)
}

// resolvedIndex is one of the two indexes of resolutions, as the
// contract sees it.
type resolvedIndex struct {
	name string
	due  func(tx store.Tx, by time.Time) ([]store.Nudge, error)
	drop func(tx store.Tx, n store.Nudge) error
	next func(b Backend) (store.Nudge, bool, error)
}

func fmtNudges(ns []store.Nudge) string {
	out := ""
	for _, n := range ns {
		out += fmt.Sprintf("[%d@%s]", n.Incident, n.Resolved.UTC().Format(time.Kitchen))
	}
	return out
}

func testNudges(t *testing.T, b Backend) {
	testResolvedIndex(t, b, resolvedIndex{
		name: "PostmortemNudges",
		due:  func(tx store.Tx, by time.Time) ([]store.Nudge, error) { return tx.PostmortemNudges(by) },
		drop: func(tx store.Tx, n store.Nudge) error { return tx.DropPostmortemNudge(n) },
		next: func(b Backend) (store.Nudge, bool, error) { return b.NextPostmortemNudge() },
	})
}

func testArchives(t *testing.T, b Backend) {
	ix := resolvedIndex{
		name: "ArchivesDue",
		due:  func(tx store.Tx, by time.Time) ([]store.Nudge, error) { return tx.ArchivesDue(by, 0) },
		drop: func(tx store.Tx, n store.Nudge) error { return tx.DropArchive(n) },
		next: func(b Backend) (store.Nudge, bool, error) { return b.NextArchive() },
	}
	testResolvedIndex(t, b, ix)
	// The limit: the earliest first, no more than asked.
	for i := range 3 {
		n := create(t, b, newIncident("more", "", t0))
		resolve(t, b, n, at(200+i))
	}
	var got []store.Nudge
	view(t, b, func(tx store.Tx) error {
		var err error
		got, err = tx.ArchivesDue(at(999), 2)
		return err
	})
	if len(got) != 2 || !got[0].Resolved.Equal(at(200)) || !got[1].Resolved.Equal(at(201)) {
		t.Errorf("ArchivesDue(limit 2) = %s, want the two resolved at %s and %s", fmtNudges(got), at(200).Format(time.Kitchen), at(201).Format(time.Kitchen))
	}
}

// testResolvedIndex: resolving enters an incident once, at its resolution
// time; due reads the earliest first up to by; drop removes (idempotent).
func testResolvedIndex(t *testing.T, b Backend, ix resolvedIndex) {
	a := create(t, b, newIncident("a", "", t0))
	create(t, b, newIncident("stays open", "", t0)) // never in the index
	c := create(t, b, newIncident("c", "", t0))
	resolve(t, b, c, at(120))
	resolve(t, b, a, at(60))
	inc := get(t, b, a) // an edit after resolution does not enter it again
	inc.Resolution = "rolled back"
	update(t, b, func(tx store.Tx) error { return tx.PutIncident(inc) })

	due := func(by time.Time, want ...store.Nudge) {
		t.Helper()
		var got []store.Nudge
		view(t, b, func(tx store.Tx) error {
			var err error
			got, err = ix.due(tx, by)
			return err
		})
		if fmtNudges(got) != fmtNudges(want) {
			t.Errorf("%s(%s) = %s, want %s", ix.name, by.Format(time.Kitchen), fmtNudges(got), fmtNudges(want))
		}
	}
	na, nc := store.Nudge{Incident: a, Resolved: at(60)}, store.Nudge{Incident: c, Resolved: at(120)}
	due(at(59))
	due(at(60), na)
	due(at(999), na, nc)
	if n, ok, err := ix.next(b); err != nil || !ok || fmtNudges([]store.Nudge{n}) != fmtNudges([]store.Nudge{na}) {
		t.Errorf("%s next = %s %v %v, want %s", ix.name, fmtNudges([]store.Nudge{n}), ok, err, fmtNudges([]store.Nudge{na}))
	}
	update(t, b, func(tx store.Tx) error { return ix.drop(tx, na) })
	update(t, b, func(tx store.Tx) error { return ix.drop(tx, na) }) // absent: not an error
	due(at(999), nc)
	update(t, b, func(tx store.Tx) error { return ix.drop(tx, nc) })
	if n, ok, err := ix.next(b); err != nil || ok {
		t.Errorf("%s next of an empty index = %s %v %v, want none", ix.name, fmtNudges([]store.Nudge{n}), ok, err)
	}
}
