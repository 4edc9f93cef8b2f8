package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

func testCreateAndGet(t *testing.T, b Backend) {
	inc := newIncident("checkout down", "C1", t0.Add(123456789*time.Nanosecond))
	inc.Roles = map[string]string{"commander": "U1", "comms": "U2"}
	inc.Actions = []incident.ActionItem{{Text: "add an alert"}}
	inc.Summary, inc.Drill = "5xx on /pay", true
	if n := create(t, b, inc); n != 1 {
		t.Errorf("first incident got number %d, want 1", n)
	}
	if inc.UUID == "" {
		t.Error("CreateIncident left UUID empty")
	}
	got := get(t, b, 1)
	sameJSON(t, "Incident(1)", got, inc)
	got.Title = "changed after reading"
	sameJSON(t, "Incident(1) after changing an earlier copy", get(t, b, 1), inc)

	given := newIncident("with uuid", "", t0)
	given.UUID = "3f1c9a40-0000-4000-8000-000000000001"
	create(t, b, given)
	if got := get(t, b, given.Number); got.UUID != given.UUID {
		t.Errorf("UUID = %q, want the given %q kept", got.UUID, given.UUID)
	}
	view(t, b, func(tx store.Tx) error {
		if tx.Size() <= 0 {
			t.Errorf("Size = %d with two incidents stored", tx.Size())
		}
		_, err := tx.Incident(99)
		wantNotFound(t, "Incident(99)", err)
		return nil
	})
}

func testIncidentNumbers(t *testing.T, b Backend) {
	var got []uint64
	for i := range 3 {
		got = append(got, create(t, b, newIncident("seq", "", t0.Add(time.Duration(i)*time.Second))))
	}
	two := []*incident.Incident{newIncident("batch a", "", t0), newIncident("batch b", "", t0)}
	update(t, b, func(tx store.Tx) error {
		for _, inc := range two {
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
		}
		return nil
	})
	got = append(got, two[0].Number, two[1].Number)
	if want := []uint64{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("numbers = %v, want %v", got, want)
	}

	// Concurrent declarations get distinct numbers, all after the earlier ones.
	const n = 8
	conc := make([]uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			inc := newIncident("concurrent", "", t0)
			if err := b.Update(t.Context(), func(tx store.Tx) error { return tx.CreateIncident(inc) }); err != nil {
				t.Errorf("concurrent CreateIncident: %v", err)
			}
			conc[i] = inc.Number
		})
	}
	wg.Wait()
	slices.Sort(conc)
	if distinct := slices.Compact(slices.Clone(conc)); len(distinct) != n || conc[0] <= 5 {
		t.Errorf("concurrent numbers = %v, want %d distinct numbers above 5", conc, n)
	}
	if last := create(t, b, newIncident("after", "", t0)); last <= conc[n-1] {
		t.Errorf("next number %d, want above %d", last, conc[n-1])
	}
}

func testPutIncident(t *testing.T, b Backend) {
	n := create(t, b, newIncident("before", "C1", t0))
	inc := get(t, b, n)
	inc.Title, inc.Severity, inc.Status = "after", "SEV1", incident.Identified
	update(t, b, func(tx store.Tx) error { return tx.PutIncident(inc) })
	sameJSON(t, "Incident after PutIncident", get(t, b, n), inc)

	ghost := newIncident("never created", "", t0)
	ghost.Number = 99
	err := b.Update(t.Context(), func(tx store.Tx) error { return tx.PutIncident(ghost) })
	wantNotFound(t, "PutIncident(99)", err)
	ghost.Number = 0
	if err := b.Update(t.Context(), func(tx store.Tx) error { return tx.PutIncident(ghost) }); err == nil {
		t.Error("PutIncident of number 0 succeeded; new incidents go through CreateIncident")
	}
}

// byChannel returns the number of the incident in channel, 0 if none.
func byChannel(t *testing.T, b Backend, channel string) uint64 {
	t.Helper()
	var n uint64
	view(t, b, func(tx store.Tx) error {
		inc, err := tx.IncidentByChannel(channel)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		n = inc.Number
		return nil
	})
	return n
}

// setChannel moves incident n to channel in its own Update.
func setChannel(t *testing.T, b Backend, n uint64, channel string) error {
	return b.Update(t.Context(), func(tx store.Tx) error {
		inc, err := tx.Incident(n)
		if err != nil {
			return err
		}
		inc.ChannelID = channel
		return tx.PutIncident(inc)
	})
}

func testChannelIndex(t *testing.T, b Backend) {
	a := create(t, b, newIncident("a", "C1", t0))
	c := create(t, b, newIncident("no channel yet", "", t0))
	if got := byChannel(t, b, "C1"); got != a {
		t.Errorf("IncidentByChannel(C1) = %d, want %d", got, a)
	}
	if err := setChannel(t, b, a, "C2"); err != nil {
		t.Fatal(err)
	}
	if got := byChannel(t, b, "C1"); got != 0 {
		t.Errorf("after the rename IncidentByChannel(old C1) = %d, want not found", got)
	}
	if got := byChannel(t, b, "C2"); got != a {
		t.Errorf("after the rename IncidentByChannel(C2) = %d, want %d", got, a)
	}
	if err := setChannel(t, b, c, "C1"); err != nil {
		t.Fatalf("taking the freed channel C1: %v", err)
	}
	if got := byChannel(t, b, "C1"); got != c {
		t.Errorf("IncidentByChannel(C1) = %d, want %d", got, c)
	}
	if err := setChannel(t, b, c, "C2"); err == nil {
		t.Errorf("incident %d took C2, which belongs to %d", c, a)
	}
	if got, inc := byChannel(t, b, "C2"), get(t, b, c); got != a || inc.ChannelID != "C1" {
		t.Errorf("after the refused move: C2 → %d (want %d), incident %d in %q (want C1)", got, a, c, inc.ChannelID)
	}
	resolve(t, b, a, t0.Add(time.Hour))
	if got := byChannel(t, b, "C2"); got != a {
		t.Errorf("resolved incident: IncidentByChannel(C2) = %d, want %d", got, a)
	}
	if got := byChannel(t, b, "CNONE"); got != 0 {
		t.Errorf("IncidentByChannel(CNONE) = %d, want not found", got)
	}
}

func testOpenAndForEach(t *testing.T, b Backend) {
	for i := range 4 {
		create(t, b, newIncident("inc", "", t0.Add(time.Duration(i)*time.Minute)))
	}
	resolve(t, b, 2, t0.Add(time.Hour))
	view(t, b, func(tx store.Tx) error {
		open, err := tx.OpenIncidents()
		if err != nil {
			return err
		}
		if got, want := numbers(open), []uint64{1, 3, 4}; !slices.Equal(got, want) {
			t.Errorf("OpenIncidents = %v, want %v", got, want)
		}
		var all []uint64
		if err := tx.ForEachIncident(func(inc *incident.Incident) error {
			all = append(all, inc.Number)
			return nil
		}); err != nil {
			return err
		}
		if want := []uint64{1, 2, 3, 4}; !slices.Equal(all, want) {
			t.Errorf("ForEachIncident visited %v, want %v", all, want)
		}
		var seen []uint64
		err = tx.ForEachIncident(func(inc *incident.Incident) error {
			seen = append(seen, inc.Number)
			if len(seen) == 2 {
				return errStop
			}
			return nil
		})
		if !errors.Is(err, errStop) || len(seen) != 2 {
			t.Errorf("ForEachIncident whose fn fails at the 2nd: err %v after %v, want errStop after 2", err, seen)
		}
		return nil
	})
}

func testDeclaredSince(t *testing.T, b Backend) {
	for _, ago := range []time.Duration{3 * time.Hour, 2 * time.Hour, time.Hour, 0} {
		create(t, b, newIncident("inc", "", t0.Add(-ago)))
	}
	since := func(at time.Time, stopAfter int) ([]uint64, error) {
		var got []uint64
		err := b.View(func(tx store.Tx) error {
			return tx.IncidentsDeclaredSince(at, func(inc *incident.Incident) error {
				got = append(got, inc.Number)
				if len(got) == stopAfter {
					return errStop
				}
				return nil
			})
		})
		return got, err
	}
	for _, tt := range []struct {
		since time.Time
		want  []uint64
	}{
		{t0.Add(-2 * time.Hour), []uint64{4, 3, 2}},
		{t0.Add(-4 * time.Hour), []uint64{4, 3, 2, 1}},
		{t0, []uint64{4}},
		{t0.Add(time.Hour), nil},
	} {
		got, err := since(tt.since, 0)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("IncidentsDeclaredSince(%s) = %v, %v; want %v", tt.since.Format(time.Kitchen), got, err, tt.want)
		}
	}
	if got, err := since(t0.Add(-4*time.Hour), 1); !errors.Is(err, errStop) || len(got) != 1 {
		t.Errorf("fn failing at the first: %v after %v, want errStop after one", err, got)
	}
}
