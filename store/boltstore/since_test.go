package boltstore_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

func TestIncidentsDeclaredSince(t *testing.T) {
	s := bolttest.Open(t)
	// Hourly declarations; INC-6 commits a few seconds out of order.
	offsets := []time.Duration{0, time.Hour, 2 * time.Hour, 3 * time.Hour, 4*time.Hour + 10*time.Second, 4 * time.Hour, 5 * time.Hour}
	for _, off := range offsets {
		inc := newIncident("x")
		inc.DeclaredAt = t0.Add(off)
		update(t, s, func(tx store.Tx) error { return tx.CreateIncident(inc) })
	}
	tests := []struct {
		since time.Time
		want  []uint64
	}{
		{t0.Add(6 * time.Hour), nil},
		{t0.Add(4*time.Hour + 5*time.Second), []uint64{7, 5}},
		{t0.Add(4 * time.Hour), []uint64{7, 6, 5}},
		{t0.Add(90 * time.Minute), []uint64{7, 6, 5, 4, 3}},
		{t0.Add(-time.Hour), []uint64{7, 6, 5, 4, 3, 2, 1}},
	}
	for _, tt := range tests {
		var got []uint64
		view(t, s, func(tx store.Tx) error {
			return tx.IncidentsDeclaredSince(tt.since, func(inc *incident.Incident) error {
				got = append(got, inc.Number)
				return nil
			})
		})
		if !slices.Equal(got, tt.want) {
			t.Errorf("since %s: got %v, want %v", tt.since.Sub(t0), got, tt.want)
		}
	}
	stop := errors.New("stop")
	err := s.View(func(tx store.Tx) error {
		return tx.IncidentsDeclaredSince(t0, func(*incident.Incident) error { return stop })
	})
	if !errors.Is(err, stop) {
		t.Errorf("fn's error = %v, want it returned", err)
	}
}
