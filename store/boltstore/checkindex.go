package boltstore

import (
	"bytes"
	"encoding/json"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/incident"
)

// maxIndexProblems bounds what check reports of each index: an index rebuilt
// wrong disagrees with every record, and the first few say enough.
const maxIndexProblems = 20

// checkOpenIndex compares the open index (incidents_open) with the
// incident records, in a store whose pages are sound. Nothing else checks
// it: bbolt's check sees only pages and keys, and the bot trusts the
// index. Yet `/incident list`, the Home tab and every declaration's
// duplicate check read it, and an entry that disagrees with its record
// shows an incident that is resolved or gone, hides one that is open, or
// compares a declaration with a title the incident no longer has. Each
// problem is one line naming the incident.
func checkOpenIndex(tx *bolt.Tx, f *findings) {
	open, incs := tx.Bucket(bucketIncidentsOpen), tx.Bucket(bucketIncidents)
	if open == nil || incs == nil {
		return // a store from before the index: the migration builds it
	}
	add := f.add
	_ = open.ForEach(func(k, v []byte) error {
		n, err := parseU64(k)
		if err != nil {
			add("key %x is not an incident number", k)
			return nil
		}
		id := incident.FormatID(n)
		raw := incs.Get(k)
		if raw == nil {
			add("%s is listed as open but has no incident record", id)
			return nil
		}
		inc := new(incident.Incident)
		if err := json.Unmarshal(raw, inc); err != nil {
			add("%s is listed as open but its incident record cannot be read (%v)", id, err)
			return nil
		}
		if inc.Number != n {
			add("%s's record holds %s", id, inc.ID())
		}
		if !inc.Open() {
			add("%s is listed as open but its record says it is resolved", id)
		}
		if len(v) == 0 {
			return nil // written by a version that kept no headline: the record is read
		}
		h, title, service, err := decodeHeadline(n, v)
		if err != nil {
			add("%s's entry cannot be read (%v)", id, err)
			return nil
		}
		if differ := headlineDiffers(inc, h, title, service); differ != "" {
			add("%s's entry disagrees with its record on its %s", id, differ)
		}
		return nil
	})
	_ = incs.ForEach(func(k, v []byte) error {
		if v == nil || open.Get(k) != nil {
			return nil
		}
		if inc := decodeRecord(v); inc != nil && inc.Open() {
			add("%s is open but missing from the open index", incident.FormatID(inc.Number))
		}
		return nil
	})
}

// headlineDiffers names the fields of an open index entry that disagree
// with the record inc, "" when none does. Values are not shown: they are
// incidents' titles, private ones too, and a report goes to a terminal
// or a cron mail.
func headlineDiffers(inc *incident.Incident, h incident.Headline, title, service []byte) string {
	var differ []string
	if !bytes.Equal(title, []byte(inc.Title)) {
		differ = append(differ, "title")
	}
	if !bytes.Equal(service, []byte(inc.Service)) {
		differ = append(differ, "service")
	}
	if !h.DeclaredAt.Equal(inc.DeclaredAt) {
		differ = append(differ, "declaration time")
	}
	if h.Drill != inc.Drill {
		differ = append(differ, "drill flag")
	}
	return strings.Join(differ, ", ")
}
