package storetest

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

func testDeliveryKeys(t *testing.T, b Backend) {
	mark := func(key string, when time.Time) bool {
		t.Helper()
		var seen bool
		update(t, b, func(tx store.Tx) error {
			var err error
			seen, err = tx.MarkSeen(key, when)
			return err
		})
		return seen
	}
	remember := func(key string) bool {
		t.Helper()
		var known bool
		update(t, b, func(tx store.Tx) error {
			var err error
			known, err = tx.Remember(key)
			return err
		})
		return known
	}
	prune := func(before time.Time, limit int) int {
		t.Helper()
		var n int
		update(t, b, func(tx store.Tx) error {
			var err error
			if limit == 0 {
				n, err = tx.PruneSeen(before)
			} else {
				n, err = tx.PruneSeenUpTo(before, limit)
			}
			return err
		})
		return n
	}
	held := func(want map[string]bool, count int) {
		t.Helper()
		view(t, b, func(tx store.Tx) error {
			for key, w := range want {
				if got, err := tx.Seen(key); err != nil || got != w {
					t.Errorf("Seen(%s) = %v, %v; want %v", key, got, err, w)
				}
			}
			if n, err := tx.SeenCount(); err != nil || n != count {
				t.Errorf("SeenCount = %d, %v; want %d", n, err, count)
			}
			return nil
		})
	}

	if mark("ev1", at(0)) {
		t.Error("MarkSeen of a new key reported it seen")
	}
	if !mark("ev1", at(5)) {
		t.Error("MarkSeen of a key marked before reported it new: the delivery would be handled twice")
	}
	mark("ev2", at(60))
	mark("ev3", at(120))
	if remember("fact") || !remember("fact") {
		t.Error("Remember: want new the first time, known the second")
	}
	if !mark("fact", at(0)) {
		t.Error("MarkSeen of a remembered key reported it new")
	}
	if !remember("ev1") { // from now on ev1 is kept for good
		t.Error("Remember of a key MarkSeen recorded reported it new")
	}
	held(map[string]bool{"ev1": true, "ev2": true, "ev3": true, "fact": true, "nope": false}, 4)

	if n := prune(at(90), 0); n != 1 {
		t.Errorf("PruneSeen(before ev3) removed %d, want 1 (ev2; ev1 and fact are remembered)", n)
	}
	held(map[string]bool{"ev1": true, "ev2": false, "ev3": true, "fact": true}, 3)

	for i, key := range []string{"k1", "k2", "k3", "k4"} {
		mark(key, at(200+i))
	}
	if n := prune(at(999), 2); n != 2 {
		t.Errorf("PruneSeenUpTo(limit 2) removed %d, want 2", n)
	}
	// ev3 (oldest) and k1 went first.
	held(map[string]bool{"ev3": false, "k1": false, "k2": true, "k4": true, "ev1": true, "fact": true}, 5)
	if n := prune(at(999), 0); n != 3 {
		t.Errorf("PruneSeen(all) removed %d, want 3", n)
	}
	held(map[string]bool{"k4": false, "ev1": true, "fact": true}, 2)
	if mark("k4", at(300)) {
		t.Error("a pruned key came back as seen")
	}
}
