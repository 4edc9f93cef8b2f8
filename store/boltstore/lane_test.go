package boltstore_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// A job's lane is part of it: kept by Enqueue, by a retry's rescheduling
// and across a restart, or a webhook job would land in Slack's lane and
// hold it up again.
func TestJobKeepsItsLane(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := bolttest.OpenPath(t, path, boltstore.Options{Now: fixedClock})
	var id uint64
	update(t, s, func(tx store.Tx) error {
		j, err := tx.Enqueue(store.Job{Incident: 1, Kind: "webhook", Lane: "webhook https://hooks.example.com/x"})
		id = j.ID
		return err
	})
	update(t, s, func(tx store.Tx) error {
		if err := tx.RescheduleJob(id, 1, t0.Add(time.Minute), "HTTP 503"); err != nil {
			return err
		}
		return tx.MarkJobMaybeDone(id)
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = bolttest.OpenPath(t, path, boltstore.Options{Now: fixedClock})
	jobs := pending(t, s, 0)
	if len(jobs) != 1 || jobs[0].Lane != "webhook https://hooks.example.com/x" || jobs[0].Attempts != 1 || !jobs[0].MaybeDone {
		t.Errorf("after a retry and a restart: %+v", jobs)
	}
}
