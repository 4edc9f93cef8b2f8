package boltstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/incident"
)

// findings are one index's problems, each a line that starts with the
// index's name and names incidents by number, never by title.
type findings struct {
	index string
	// reader says what the bot does with the index, for the closing line
	// of `incidentbot check`.
	reader string
	lines  []string
	// uncopyable counts the lines `incidentbot store copy` cannot get
	// past: it reads that entry, or copies the records that disagree.
	uncopyable int
}

func (f *findings) add(format string, args ...any) {
	if len(f.lines) < maxIndexProblems {
		f.lines = append(f.lines, f.index+": "+fmt.Sprintf(format, args...))
	}
}

// addUncopyable is add for a problem a copy fails on: the line says so.
func (f *findings) addUncopyable(format string, args ...any) {
	if len(f.lines) < maxIndexProblems {
		f.add(format+"; `incidentbot store copy` fails on it too", args...)
		f.uncopyable++
	}
}

// checkIndexes compares every index derived from the incident records
// with them, in a store whose pages are sound, and returns the findings of
// the indexes that disagree. bbolt's check sees only pages and keys, and
// the bot trusts its indexes.
func checkIndexes(tx *bolt.Tx) []findings {
	checks := []struct {
		f     findings
		check func(*bolt.Tx, *findings)
	}{
		{findings{index: "open index", reader: "/incident list, the Home tab and the duplicate check read the open index"}, checkOpenIndex},
		{findings{index: "channel index", reader: "commands in an incident's channel find their incident through the channel index"}, checkChannelIndex},
		{findings{index: "reminder schedule", reader: "status-update reminders fire from the reminder schedule"}, checkReminders},
		{findings{index: "postmortem nudge index", reader: "postmortem reminders fire from the postmortem nudge index"}, checkResolvedIndex(nudgeIndex)},
		{findings{index: "archive index", reader: "auto-archive fires from the archive index"}, checkResolvedIndex(archiveIndex)},
	}
	var out []findings
	for _, c := range checks {
		c.check(tx, &c.f)
		if len(c.f.lines) > 0 {
			out = append(out, c.f)
		}
	}
	return out
}

// record reads incident key from incs: present says whether there is a
// record, and inc is nil when it cannot be read (that is the records'
// problem, not an index's).
func record(incs *bolt.Bucket, key []byte) (inc *incident.Incident, present bool) {
	raw := incs.Get(key)
	return decodeRecord(raw), raw != nil
}

// decodeRecord is an incident record's value decoded, nil when there is
// none or it cannot be read.
func decodeRecord(raw []byte) *incident.Incident {
	if raw == nil {
		return nil
	}
	inc := new(incident.Incident)
	if json.Unmarshal(raw, inc) != nil {
		return nil
	}
	return inc
}

// checkChannelIndex compares incidents_by_channel with the records: a
// command in a channel acts on the incident the index names, so an entry
// that names another incident acts on the wrong one, and a channel
// missing from it is "not an incident channel".
func checkChannelIndex(tx *bolt.Tx, f *findings) {
	byChannel, incs := tx.Bucket(bucketIncidentsByChannel), tx.Bucket(bucketIncidents)
	if byChannel == nil || incs == nil {
		return
	}
	_ = byChannel.ForEach(func(k, v []byte) error {
		n, err := parseU64(v)
		if err != nil {
			f.add("channel %s's entry %x is not an incident number", k, v)
			return nil
		}
		inc, present := record(incs, v)
		switch {
		case !present:
			f.add("channel %s is listed for %s, which has no incident record", k, incident.FormatID(n))
		case inc != nil && inc.ChannelID != string(k):
			f.add("channel %s is listed for %s, whose record names another channel", k, incident.FormatID(n))
		}
		return nil
	})
	_ = incs.ForEach(func(k, v []byte) error {
		inc := decodeRecord(v)
		if inc == nil || inc.ChannelID == "" {
			return nil
		}
		owner := byChannel.Get([]byte(inc.ChannelID))
		if bytes.Equal(owner, k) {
			return nil
		}
		if owner == nil {
			f.add("%s's channel %s is missing from the channel index", inc.ID(), inc.ChannelID)
			return nil
		}
		if other, _ := record(incs, owner); other != nil && other.ChannelID == inc.ChannelID {
			// Both records claim the channel: the copy refuses the
			// second, as the bot does.
			f.addUncopyable("%s's channel %s is %s's too", inc.ID(), inc.ChannelID, other.ID())
			return nil
		}
		f.add("%s's channel %s is listed for another incident", inc.ID(), inc.ChannelID)
		return nil
	})
}

// checkReminders compares the reminder schedule with itself and with the
// records: reminders_by_incident holds each incident's one due time,
// reminders the same entries by due time, which the scheduler reads. An
// open incident without a reminder is not a problem: its severity may
// have none.
func checkReminders(tx *bolt.Tx, f *findings) {
	byDue, byIncident, incs := tx.Bucket(bucketReminders), tx.Bucket(bucketRemindersByIncident), tx.Bucket(bucketIncidents)
	if byDue == nil || byIncident == nil || incs == nil {
		return
	}
	_ = byDue.ForEach(func(k, _ []byte) error {
		r, err := parseReminderKey(k)
		if err != nil {
			f.add("key %x is not a due time and an incident number", k)
			return nil
		}
		if !bytes.Equal(byIncident.Get(k[8:]), k[:8]) {
			f.add("%s's reminder at %s is not the one set for it", incident.FormatID(r.Incident), r.Due.Format(time.RFC3339Nano))
		}
		return nil
	})
	_ = byIncident.ForEach(func(k, v []byte) error {
		n, err := parseU64(k)
		if err != nil {
			f.add("key %x is not an incident number", k)
			return nil
		}
		id := incident.FormatID(n)
		if _, err := parseTimeKey(v); err != nil {
			f.addUncopyable("%s's reminder time %x cannot be read", id, v)
			return nil
		}
		if byDue.Get(concat(v, k)) == nil {
			f.add("%s's reminder is missing from the due times, so it never fires", id)
		}
		switch inc, present := record(incs, k); {
		case !present:
			f.add("%s has a reminder but no incident record", id)
		case inc != nil && !inc.Open():
			f.add("%s has a reminder but its record says it is resolved", id)
		}
		return nil
	})
}

// checkResolvedIndex compares a resolution index (see resolvedIndex) with
// the records: each entry stands for a resolved incident, at its
// resolution time when the record has one, once. A resolved incident
// without an entry is not a problem: the entry goes once acted on, and
// resolutions before the index are not in it.
func checkResolvedIndex(ix resolvedIndex) func(*bolt.Tx, *findings) {
	return func(tx *bolt.Tx, f *findings) {
		b, incs := tx.Bucket(ix.bucket), tx.Bucket(bucketIncidents)
		if b == nil || incs == nil {
			return
		}
		seen := map[uint64]bool{}
		_ = b.ForEach(func(k, _ []byte) error {
			e, err := parseNudgeKey(k)
			if err != nil {
				// The bot and the copy skip it.
				f.add("key %x is not a resolution time and an incident number", k)
				return nil
			}
			id := incident.FormatID(e.Incident)
			if seen[e.Incident] {
				f.add("%s has more than one entry", id)
			}
			seen[e.Incident] = true
			inc, present := record(incs, k[8:])
			switch {
			case !present:
				f.add("%s has an entry but no incident record", id)
			case inc == nil:
			case inc.Open():
				f.add("%s has an entry but its record says it is open", id)
			case !inc.ResolvedAt.IsZero() && !inc.ResolvedAt.Equal(e.Resolved):
				f.add("%s's entry disagrees with its record on its resolution time", id)
			}
			return nil
		})
	}
}
