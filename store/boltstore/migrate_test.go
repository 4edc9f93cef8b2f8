package boltstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	bolt "go.etcd.io/bbolt"
)

// rawFile creates a bbolt file at a new path and lets fn shape it as an
// older or newer incidentbot would have left it.
func rawFile(t *testing.T, fn func(tx *bolt.Tx) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	return path
}

func rawVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.View(func(tx *bolt.Tx) error { v, err = schemaVersion(tx); return err }); err != nil {
		t.Fatal(err)
	}
	return v
}

func withMigrations(extra ...migration) []migration {
	return append(append([]migration{}, migrations...), extra...)
}

func TestMigrationV1CreatesBuckets(t *testing.T) {
	path := rawFile(t, func(tx *bolt.Tx) error {
		if err := migrateV1(tx); err != nil {
			return err
		}
		return migrateV1(tx) // harmless to repeat
	})
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for _, name := range []string{
			"meta", "incidents", "incidents_open", "incidents_by_channel", "events",
			"outbox", "seen", "seen_by_time", "reminders", "reminders_by_incident",
		} {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("bucket %s missing after v1", name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenMigratesUntouchedFile(t *testing.T) {
	path := rawFile(t, func(tx *bolt.Tx) error { return nil })
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(); err != nil || v != CurrentSchemaVersion() {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, CurrentSchemaVersion())
	}
	inc := &incident.Incident{Title: "works", Severity: "SEV1", Status: incident.Investigating}
	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateIncident(inc) }); err != nil {
		t.Fatalf("store unusable after migration: %v", err)
	}
}

// A file written by this version meets a binary with one more migration: it
// runs once, sees the data, and the version is recorded.
func TestOpenMigratesOlderVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.Update(t.Context(), func(tx store.Tx) error {
			return tx.CreateIncident(&incident.Incident{Title: "old", Severity: "SEV2"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	runs := 0
	next := withMigrations(migration{name: "count incidents", apply: func(tx *bolt.Tx) error {
		runs++
		b, err := tx.CreateBucket([]byte("v_next"))
		if err != nil {
			return err
		}
		n := tx.Bucket(bucketIncidents).Stats().KeyN
		return b.Put([]byte("incidents"), []byte(fmt.Sprint(n)))
	}})
	for range 2 {
		s, err := open(path, Options{}, next)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if runs != 1 {
		t.Errorf("new migration ran %d times over two opens, want 1", runs)
	}
	if v := rawVersion(t, path); v != len(next) {
		t.Errorf("version = %d, want %d", v, len(next))
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if got := string(tx.Bucket([]byte("v_next")).Get([]byte("incidents"))); got != "3" {
			t.Errorf("migration saw %s incidents, want 3", got)
		}
		return nil
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	newer := CurrentSchemaVersion() + 1
	path := rawFile(t, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put(keySchemaVersion, u64Key(uint64(newer)))
	})
	s, err := Open(path, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a file from a newer version")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("error = %v, want ErrNewerSchema", err)
	}
	for _, want := range []string{path, fmt.Sprintf("schema version %d", newer), "upgrade incidentbot"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if v := rawVersion(t, path); v != newer {
		t.Errorf("refused file's version changed to %d", v)
	}
}

func TestFailedMigrationChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	broken := withMigrations(
		migration{name: "adds a bucket", apply: func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("half_done"))
			return err
		}},
		migration{name: "fails", apply: func(*bolt.Tx) error { return errors.New("disk on fire") }},
	)
	_, err = open(path, Options{}, broken)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("version %d (fails)", len(broken))) {
		t.Fatalf("open with a failing migration: %v", err)
	}
	if v := rawVersion(t, path); v != CurrentSchemaVersion() {
		t.Errorf("version after failed migration = %d, want %d", v, CurrentSchemaVersion())
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("half_done")) != nil {
			t.Error("an earlier migration of the failed run was kept")
		}
		return nil
	})
}

func TestMigrationV2AddsPostmortemNudgeIndex(t *testing.T) {
	// A v1 file with a resolved incident: v2 adds the bucket and does not
	// back-fill it.
	path := rawFile(t, func(tx *bolt.Tx) error {
		if err := migrate(tx, migrations[:1]); err != nil {
			return err
		}
		inc := &incident.Incident{Number: 1, Title: "old", Severity: "SEV2", Status: incident.Resolved}
		return putJSON(tx.Bucket(bucketIncidents), u64Key(1), inc)
	})
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(); v < 2 {
		t.Fatalf("schema version %d after open, want at least 2", v)
	}
	if _, ok, err := s.NextPostmortemNudge(); ok || err != nil {
		t.Errorf("NextPostmortemNudge after v2 = %v, %v; want an empty index", ok, err)
	}
	// Repeating v2 is harmless.
	if err := s.db.Update(migrateV2); err != nil {
		t.Errorf("v2 again: %v", err)
	}
}

func TestMigrationV3AddsArchiveIndex(t *testing.T) {
	// A v2 file with a resolved incident: v3 adds the bucket and does not
	// back-fill it.
	path := rawFile(t, func(tx *bolt.Tx) error {
		if err := migrate(tx, migrations[:2]); err != nil {
			return err
		}
		inc := &incident.Incident{Number: 1, Title: "old", Severity: "SEV2", Status: incident.Resolved}
		return putJSON(tx.Bucket(bucketIncidents), u64Key(1), inc)
	})
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(); v < 3 {
		t.Fatalf("schema version %d after open, want at least 3", v)
	}
	if _, ok, err := s.NextArchive(); ok || err != nil {
		t.Errorf("NextArchive after v3 = %v, %v; want an empty index", ok, err)
	}
	if err := s.db.Update(migrateV3); err != nil {
		t.Errorf("v3 again: %v", err)
	}
}
