package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// appendEvent appends an event with text to incident n in its own Update.
func appendEvent(t *testing.T, b Backend, n uint64, text string) incident.Event {
	t.Helper()
	var ev incident.Event
	update(t, b, func(tx store.Tx) error {
		var err error
		ev, err = tx.AppendEvent(n, incident.Event{Kind: incident.EventNote, Actor: "U1", Text: text})
		return err
	})
	return ev
}

func testEvents(t *testing.T, b Backend) {
	a := create(t, b, newIncident("a", "", t0))
	c := create(t, b, newIncident("c", "", t0))
	quiet := create(t, b, newIncident("no events", "", t0))
	want := map[uint64][]incident.Event{}
	add := func(ev incident.Event, n uint64) { want[n] = append(want[n], ev) }
	add(appendEvent(t, b, a, "a1"), a)
	add(appendEvent(t, b, c, "c1"), c)
	update(t, b, func(tx store.Tx) error {
		want[a] = want[a][:1] // Update may run this more than once
		for _, text := range []string{"a2", "a3"} {
			at := t0.Add(987654321 * time.Nanosecond)
			ev, err := tx.AppendEvent(a, incident.Event{Kind: incident.EventNote, At: at, Text: text})
			if err != nil {
				return err
			}
			want[a] = append(want[a], ev)
		}
		return nil
	})
	add(appendEvent(t, b, c, "c2"), c)

	for n, evs := range want {
		for i, ev := range evs {
			if ev.Seq != uint64(i+1) {
				t.Errorf("incident %d event %q got Seq %d, want %d", n, ev.Text, ev.Seq, i+1)
			}
			if ev.At.IsZero() {
				t.Errorf("incident %d event %q: At not set", n, ev.Text)
			}
		}
	}
	view(t, b, func(tx store.Tx) error {
		for n, evs := range want {
			got, err := tx.Events(n)
			if err != nil {
				return err
			}
			sameJSON(t, fmt.Sprintf("Events(%d)", n), got, evs)
			second, err := tx.Event(n, 2)
			if err != nil {
				return err
			}
			sameJSON(t, fmt.Sprintf("Event(%d, 2)", n), second, evs[1])
		}
		if got, err := tx.Events(quiet); err != nil || len(got) != 0 {
			t.Errorf("Events of an incident without any = %v, %v; want none, no error", got, err)
		}
		_, err := tx.Event(a, 9)
		wantNotFound(t, "Event(a, 9)", err)
		_, err = tx.Event(99, 1)
		wantNotFound(t, "Event(99, 1)", err)
		_, err = tx.Events(99)
		wantNotFound(t, "Events(99)", err)
		return nil
	})
	err := b.Update(t.Context(), func(tx store.Tx) error {
		_, err := tx.AppendEvent(99, incident.Event{Kind: incident.EventNote})
		return err
	})
	wantNotFound(t, "AppendEvent(99)", err)
}

// ForEachEvent hands over the timeline one event at a time, in Seq order,
// exactly as Events returns it, and stops at the first error of fn.
func testForEachEvent(t *testing.T, b Backend) {
	a := create(t, b, newIncident("a", "", t0))
	quiet := create(t, b, newIncident("no events", "", t0))
	other := create(t, b, newIncident("other", "", t0))
	for i := range 5 {
		appendEvent(t, b, a, fmt.Sprint("a", i+1))
		if i < 2 {
			appendEvent(t, b, other, fmt.Sprint("other", i+1))
		}
	}
	view(t, b, func(tx store.Tx) error {
		want, err := tx.Events(a)
		if err != nil {
			return err
		}
		var got []incident.Event
		if err := tx.ForEachEvent(a, func(ev incident.Event) error {
			got = append(got, ev)
			return nil
		}); err != nil {
			return err
		}
		sameJSON(t, "ForEachEvent(a)", got, want)

		var seen []uint64
		err = tx.ForEachEvent(a, func(ev incident.Event) error {
			seen = append(seen, ev.Seq)
			if len(seen) == 2 {
				return errStop
			}
			return nil
		})
		if !errors.Is(err, errStop) || !slices.Equal(seen, []uint64{1, 2}) {
			t.Errorf("ForEachEvent whose fn fails at the 2nd: err %v after %v, want errStop after [1 2]", err, seen)
		}

		calls := 0
		if err := tx.ForEachEvent(quiet, func(incident.Event) error { calls++; return nil }); err != nil || calls != 0 {
			t.Errorf("ForEachEvent of an incident without events: %d calls, err %v; want none, no error", calls, err)
		}
		wantNotFound(t, "ForEachEvent(99)", tx.ForEachEvent(99, func(incident.Event) error { return nil }))
		return nil
	})
}
