package boltstore

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Bucket names; doc.go draws the tree.
var (
	bucketMeta                = []byte("meta")
	bucketIncidents           = []byte("incidents")
	bucketIncidentsOpen       = []byte("incidents_open")
	bucketIncidentsByChannel  = []byte("incidents_by_channel")
	bucketEvents              = []byte("events")
	bucketOutbox              = []byte("outbox")
	bucketSeen                = []byte("seen")
	bucketSeenByTime          = []byte("seen_by_time")
	bucketReminders           = []byte("reminders")
	bucketRemindersByIncident = []byte("reminders_by_incident")
	bucketPostmortemNudges    = []byte("postmortem_nudges")
	bucketArchiveDue          = []byte("archive_due")

	keySchemaVersion = []byte("schema_version")
)

// u64Key encodes n big-endian, so bbolt's byte order is numeric order.
func u64Key(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func parseU64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("corrupt key: %d bytes, want 8", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// timeKey encodes t as its Unix nanoseconds with the sign bit flipped, so
// that byte order is time order for every representable instant (years
// 1678–2262), including any before 1970.
func timeKey(t time.Time) []byte {
	return u64Key(uint64(t.UnixNano()) ^ (1 << 63))
}

func parseTimeKey(b []byte) (time.Time, error) {
	n, err := parseU64(b)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, int64(n^(1<<63))).UTC(), nil
}

// concat returns a new slice holding a then b, never aliasing either.
func concat(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}
