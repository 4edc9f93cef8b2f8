package boltstore

import (
	"fmt"
	"sync"
)

// unreadableKeys reports each schedule entry the store cannot read once
// per process. The scheduler reads the schedule's first entry on every
// cycle: were an unreadable one an error, the key that sorts first would
// stop every reminder until the file is fixed, and its log line would
// repeat every cycle. Skipped and reported once, the others keep firing,
// and `incidentbot check` names it for the operator.
type unreadableKeys struct {
	fn func(error)

	mu   sync.Mutex
	seen map[string]bool
}

// report passes the first sighting of key in bucket to the hook.
func (u *unreadableKeys) report(bucket, key []byte) {
	u.reportAs(bucket, key, "is not a time and an incident number")
}

// reportAs is report saying what is wrong with the entry.
func (u *unreadableKeys) reportAs(bucket, key []byte, what string) {
	if u == nil || u.fn == nil {
		return
	}
	id := string(bucket) + "\x00" + string(key)
	u.mu.Lock()
	first := !u.seen[id]
	if first {
		if u.seen == nil {
			u.seen = map[string]bool{}
		}
		u.seen[id] = true
	}
	u.mu.Unlock()
	if first {
		u.fn(fmt.Errorf("bucket %s: key %x %s; skipped (`incidentbot check` reports it)", bucket, key, what))
	}
}
