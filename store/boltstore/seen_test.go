package boltstore_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

func TestMarkSeen(t *testing.T) {
	s := bolttest.Open(t)
	steps := []struct {
		key  string
		at   time.Time
		seen bool
	}{
		{"Ev1", t0, false},
		{"Ev2", t0.Add(time.Minute), false},
		{"Ev1", t0.Add(2 * time.Minute), true},
		{"view:V1:hash", t0, false},
		{"Ev2", t0, true},
	}
	for _, st := range steps {
		update(t, s, func(tx store.Tx) error {
			seen, err := tx.MarkSeen(st.key, st.at)
			if err != nil {
				return err
			}
			if seen != st.seen {
				t.Errorf("MarkSeen(%q) = %v, want %v", st.key, seen, st.seen)
			}
			return nil
		})
	}
	if err := s.Update(t.Context(), func(tx store.Tx) error { _, err := tx.MarkSeen("", t0); return err }); err == nil {
		t.Error("MarkSeen of an empty key succeeded")
	}
}

func TestPruneSeen(t *testing.T) {
	s := bolttest.Open(t)
	keys := []struct {
		key string
		at  time.Time
	}{
		{"old-1", t0.Add(-2 * time.Hour)},
		{"old-2", t0.Add(-time.Hour)},
		{"edge", t0},
		{"new", t0.Add(time.Hour)},
		{"ancient", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}, // before 1970: negative nanos
	}
	update(t, s, func(tx store.Tx) error {
		for _, k := range keys {
			if _, err := tx.MarkSeen(k.key, k.at); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		n, err := tx.PruneSeen(t0)
		if err != nil {
			return err
		}
		if n != 3 {
			t.Errorf("PruneSeen removed %d, want 3", n)
		}
		return nil
	})
	want := map[string]bool{"old-1": false, "old-2": false, "ancient": false, "edge": true, "new": true}
	update(t, s, func(tx store.Tx) error {
		for key, kept := range want {
			seen, err := tx.MarkSeen(key, t0)
			if err != nil {
				return err
			}
			if seen != kept {
				t.Errorf("after prune, %q seen = %v, want %v", key, seen, kept)
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		n, err := tx.PruneSeen(t0.Add(-24 * time.Hour))
		if err != nil || n != 0 {
			t.Errorf("PruneSeen with nothing that old = %d, %v", n, err)
		}
		return nil
	})
}

func TestMarkSeenZeroTimeMeansNow(t *testing.T) {
	s := bolttest.OpenWith(t, boltstore.Options{Now: fixedClock})
	update(t, s, func(tx store.Tx) error { _, err := tx.MarkSeen("Ev1", time.Time{}); return err })
	for _, tt := range []struct {
		before time.Time
		pruned int
	}{{t0, 0}, {t0.Add(time.Nanosecond), 1}} {
		update(t, s, func(tx store.Tx) error {
			n, err := tx.PruneSeen(tt.before)
			if n != tt.pruned {
				t.Errorf("PruneSeen(%v) = %d, want %d", tt.before, n, tt.pruned)
			}
			return err
		})
	}
}

// A remembered key is a fact for good: PruneSeen never forgets it, and
// remembering a key MarkSeen recorded keeps that one for good too.
func TestRememberOutlivesPruning(t *testing.T) {
	s := bolttest.Open(t)
	update(t, s, func(tx store.Tx) error {
		if _, err := tx.MarkSeen("capture:C1/1.1", t0.Add(-48*time.Hour)); err != nil {
			return err
		}
		_, err := tx.MarkSeen("event:old", t0.Add(-48*time.Hour))
		return err
	})
	for _, st := range []struct {
		key   string
		known bool
	}{
		{"capture:C1/2.2", false},
		{"capture:C1/2.2", true},
		{"capture:C1/1.1", true}, // recorded by MarkSeen: now kept for good
	} {
		update(t, s, func(tx store.Tx) error {
			known, err := tx.Remember(st.key)
			if known != st.known {
				t.Errorf("Remember(%q) = %v, want %v", st.key, known, st.known)
			}
			return err
		})
	}
	update(t, s, func(tx store.Tx) error {
		n, err := tx.PruneSeen(t0.Add(time.Hour))
		if n != 1 {
			t.Errorf("pruned %d keys, want only event:old", n)
		}
		return err
	})
	if err := s.View(func(tx store.Tx) error {
		for key, want := range map[string]bool{"capture:C1/1.1": true, "capture:C1/2.2": true, "event:old": false} {
			if got, err := tx.Seen(key); err != nil || got != want {
				t.Errorf("Seen(%q) = %v, %v; want %v", key, got, err, want)
			}
		}
		if n, err := tx.SeenCount(); err != nil || n != 2 {
			t.Errorf("SeenCount = %d, %v; want 2", n, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(t.Context(), func(tx store.Tx) error { _, err := tx.Remember(""); return err }); err == nil {
		t.Error("Remember of an empty key succeeded")
	}
}

func TestPruneSeenUpToRemovesTheOldestFirst(t *testing.T) {
	s := bolttest.Open(t)
	update(t, s, func(tx store.Tx) error {
		for i, key := range []string{"a", "b", "c", "d"} {
			if _, err := tx.MarkSeen(key, t0.Add(time.Duration(i)*time.Minute)); err != nil {
				return err
			}
		}
		return nil
	})
	for _, want := range []int{2, 1, 0} {
		update(t, s, func(tx store.Tx) error {
			n, err := tx.PruneSeenUpTo(t0.Add(150*time.Second), 2)
			if n != want {
				t.Errorf("pruned %d, want %d", n, want)
			}
			return err
		})
	}
	if err := s.View(func(tx store.Tx) error {
		for key, want := range map[string]bool{"a": false, "b": false, "c": false, "d": true} {
			if got, _ := tx.Seen(key); got != want {
				t.Errorf("Seen(%q) = %v, want %v", key, got, want)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
