package boltstore

import (
	"fmt"
	"sync"

	"github.com/incidentbot/incidentbot/incident"
)

// UnreadableRecordError is an incident record the store holds but cannot
// decode (its bytes were damaged). What reads one incident fails with it;
// what reads many skips the record and reports it once (OnUnreadable),
// so one damaged record does not hide every other incident.
type UnreadableRecordError struct {
	Number uint64
	Err    error
}

func (e *UnreadableRecordError) Error() string {
	return fmt.Sprintf("%s's record cannot be read (restore the store from a backup): %v", incident.FormatID(e.Number), e.Err)
}

func (e *UnreadableRecordError) Unwrap() error { return e.Err }

// unreadableKeys reports each schedule entry or incident record the store
// skips because it cannot read it, once per process. The scheduler reads
// the schedule's first entry on every cycle, and the Home tab the open
// incidents on every visit: were an unreadable one an error, the key that
// sorts first would stop every reminder, or one record hide every open
// incident, until the file is fixed, and its log line would repeat every
// time. Skipped and reported once, the others carry on.
type unreadableKeys struct {
	fn func(error)

	mu   sync.Mutex
	seen map[string]bool
}

// report passes the first sighting of key in bucket to the hook.
func (u *unreadableKeys) report(bucket, key []byte) {
	u.reportAs(bucket, key, "is not a time and an incident number")
}

// reportRecord reports an incident record skipped, once.
func (u *unreadableKeys) reportRecord(e *UnreadableRecordError) {
	if u.first(bucketIncidents, u64Key(e.Number)) {
		u.fn(fmt.Errorf("bucket %s: %w; skipped", bucketIncidents, e))
	}
}

// reportAs is report saying what is wrong with the entry.
func (u *unreadableKeys) reportAs(bucket, key []byte, what string) {
	if u.first(bucket, key) {
		u.fn(fmt.Errorf("bucket %s: key %x %s; skipped (`incidentbot check` reports it)", bucket, key, what))
	}
}

// first reports whether key in bucket is seen for the first time; false,
// keeping nothing, when there is no hook to tell.
func (u *unreadableKeys) first(bucket, key []byte) bool {
	if u == nil || u.fn == nil {
		return false
	}
	id := string(bucket) + "\x00" + string(key)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.seen[id] {
		return false
	}
	if u.seen == nil {
		u.seen = map[string]bool{}
	}
	u.seen[id] = true
	return true
}
