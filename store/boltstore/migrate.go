package boltstore

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migration moves a store from schema version N-1 to N, where N is its
// position in the migrations slice plus one.
type migration struct {
	name  string
	apply func(tx *bolt.Tx) error
}

// migrations is the ordered history of the schema. Append only: never edit or
// reorder an entry that has shipped, since files in the field record how far
// along this list they are. Each entry has its own test in migrate_test.go.
var migrations = []migration{
	{name: "create buckets", apply: migrateV1},
	{name: "index resolutions for the postmortem nudge", apply: migrateV2},
	{name: "index resolutions for auto-archive", apply: migrateV3},
}

// CurrentSchemaVersion is the schema version this binary writes.
func CurrentSchemaVersion() int { return len(migrations) }

// migrateV1 creates the initial bucket tree.
func migrateV1(tx *bolt.Tx) error {
	for _, name := range [][]byte{
		bucketMeta, bucketIncidents, bucketIncidentsOpen, bucketIncidentsByChannel,
		bucketEvents, bucketOutbox, bucketSeen, bucketSeenByTime,
		bucketReminders, bucketRemindersByIncident,
	} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// migrate brings the file up to len(migs) in the caller's transaction, so a
// failing migration leaves the file as it was.
func migrate(tx *bolt.Tx, migs []migration) error {
	have, err := schemaVersion(tx)
	if err != nil {
		return err
	}
	if have > len(migs) {
		return fmt.Errorf("schema version %d is %w (this binary knows up to %d); upgrade incidentbot, or restore a store written by this version", have, ErrNewerSchema, len(migs))
	}
	if have == len(migs) {
		return nil
	}
	for v := have + 1; v <= len(migs); v++ {
		if err := migs[v-1].apply(tx); err != nil {
			return fmt.Errorf("migrate schema to version %d (%s): %w", v, migs[v-1].name, err)
		}
	}
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("record schema version: %w", err)
	}
	if err := meta.Put(keySchemaVersion, u64Key(uint64(len(migs)))); err != nil {
		return fmt.Errorf("record schema version: %w", err)
	}
	return nil
}

// schemaVersion is 0 for a file no migration has touched.
func schemaVersion(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	v := meta.Get(keySchemaVersion)
	if v == nil {
		return 0, nil
	}
	n, err := parseU64(v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(n), nil
}

// SchemaVersion is the schema version recorded in the file.
func (s *Store) SchemaVersion() (int, error) {
	var v int
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		v, err = schemaVersion(tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store %s: %w", s.path, err)
	}
	return v, nil
}
