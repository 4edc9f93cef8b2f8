package boltstore_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

func TestTimeline(t *testing.T) {
	s := bolttest.OpenWith(t, boltstore.Options{Now: fixedClock})
	a := declare(t, s, "a")
	b := declare(t, s, "b")
	captured := t0.Add(-time.Hour)

	appends := []struct {
		number uint64
		ev     incident.Event
		seq    uint64
		at     time.Time
	}{
		{a.Number, incident.Event{Kind: incident.EventDeclared, Actor: "U1"}, 1, t0},
		{a.Number, incident.Event{Kind: incident.EventNote, Text: "looking"}, 2, t0},
		{b.Number, incident.Event{Kind: incident.EventDeclared}, 1, t0},
		{a.Number, incident.Event{Kind: incident.EventMessagePinned, At: captured, Link: "https://x"}, 3, captured},
	}
	var want []incident.Event
	for _, ap := range appends {
		update(t, s, func(tx store.Tx) error {
			got, err := tx.AppendEvent(ap.number, ap.ev)
			if err != nil {
				return err
			}
			if got.Seq != ap.seq || !got.At.Equal(ap.at) {
				t.Errorf("AppendEvent to INC-%d = seq %d at %v, want seq %d at %v", ap.number, got.Seq, got.At, ap.seq, ap.at)
			}
			if ap.number == a.Number {
				want = append(want, got)
			}
			return nil
		})
	}
	view(t, s, func(tx store.Tx) error {
		evs, err := tx.Events(a.Number)
		if err != nil {
			return err
		}
		if len(evs) != len(want) {
			t.Fatalf("Events(INC-1) has %d events, want %d", len(evs), len(want))
		}
		for i := range evs {
			if evs[i].Seq != want[i].Seq || evs[i].Kind != want[i].Kind || !evs[i].At.Equal(want[i].At) || evs[i].Text != want[i].Text {
				t.Errorf("event %d = %+v, want %+v", i, evs[i], want[i])
			}
		}
		return nil
	})

	c := declare(t, s, "no events yet")
	view(t, s, func(tx store.Tx) error {
		evs, err := tx.Events(c.Number)
		if err != nil || len(evs) != 0 {
			t.Errorf("Events of a quiet incident = %v, %v; want empty, nil", evs, err)
		}
		return nil
	})
}

// Seq keeps counting past 255 and 65535: the key is big-endian, so Events
// still returns them in order.
func TestTimelineOrderPastByteBoundaries(t *testing.T) {
	s := bolttest.Open(t)
	inc := declare(t, s, "long")
	const n = 300
	update(t, s, func(tx store.Tx) error {
		for range n {
			if _, err := tx.AppendEvent(inc.Number, incident.Event{Kind: incident.EventNote}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		evs, err := tx.Events(inc.Number)
		if err != nil {
			return err
		}
		for i, ev := range evs {
			if ev.Seq != uint64(i+1) {
				t.Fatalf("event %d has Seq %d", i, ev.Seq)
			}
		}
		if len(evs) != n {
			t.Errorf("got %d events, want %d", len(evs), n)
		}
		return nil
	})
}
