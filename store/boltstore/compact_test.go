package boltstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

func TestCompact(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "bot.db"), filepath.Join(dir, "compact.db")
	s, err := boltstore.Open(src, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	big := []byte(`"` + strings.Repeat("x", 4000) + `"`)
	update(t, s, func(tx store.Tx) error {
		for range 2 {
			inc := newIncident("kept")
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if _, err := tx.AppendEvent(inc.Number, incident.Event{Kind: incident.EventDeclared}); err != nil {
				return err
			}
		}
		for range 2000 {
			if _, err := tx.Enqueue(store.Job{Kind: "post", Payload: big}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		for id := uint64(1); id <= 2000; id++ {
			if err := tx.CompleteJob(id); err != nil {
				return err
			}
		}
		return nil
	})

	if err := boltstore.Compact(src, dst, boltstore.Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, boltstore.ErrLocked) {
		t.Errorf("Compact of an open store: %v, want ErrLocked", err)
	}
	s.Close()
	if err := boltstore.Compact(src, dst, boltstore.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := boltstore.Compact(src, dst, boltstore.Options{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Compact onto an existing file: %v", err)
	}
	before, _ := os.Stat(src)
	after, _ := os.Stat(dst)
	if after.Size() >= before.Size() {
		t.Errorf("compacted file is %d bytes, original %d", after.Size(), before.Size())
	}
	if after.Mode().Perm() != 0o600 {
		t.Errorf("compacted file mode = %v, want 0600", after.Mode().Perm())
	}

	c := bolttest.OpenPath(t, dst, boltstore.Options{})
	view(t, c, func(tx store.Tx) error {
		evs, err := tx.Events(2)
		if err != nil || len(evs) != 1 {
			t.Errorf("events of INC-2 after compaction = %v, %v", evs, err)
		}
		return nil
	})
	// Sequences survive compaction: numbers and job IDs are never reused.
	if inc := declare(t, c, "after"); inc.Number != 3 {
		t.Errorf("first incident after compaction is %s, want INC-3", inc.ID())
	}
	update(t, c, func(tx store.Tx) error {
		j, err := tx.Enqueue(store.Job{Kind: "post"})
		if err == nil && j.ID != 2001 {
			t.Errorf("first job after compaction has ID %d, want 2001", j.ID)
		}
		return err
	})
}
