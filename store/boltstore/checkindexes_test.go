package boltstore_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
	"github.com/incidentbot/incidentbot/store/storecopy"
)

// The times seedIndexes writes: INC-1's reminder, INC-3's and INC-4's
// resolutions.
var (
	remindAt  = t0.Add(time.Hour)
	resolved3 = t0.Add(2 * time.Hour)
	resolved4 = t0.Add(3 * time.Hour)
)

// timeKeyOf is t as the store's keys hold it.
func timeKeyOf(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
}

// Check compares every index the bot reads instead of the records — the
// channel index, the reminder schedule, the postmortem nudge and archive
// indexes — with the records, one line per problem. The pages are sound
// all along, so bbolt's own check finds nothing and the bot starts. A
// copy (`incidentbot store copy`) rebuilds the indexes from the records,
// except where a line says the copy fails on it: then it does.
func TestCheckComparesEveryIndexWithTheRecords(t *testing.T) {
	tests := []struct {
		name string
		// spoil changes the buckets seedIndexes wrote, behind the store's
		// back.
		spoil     func(t *testing.T, tx *bolt.Tx)
		want      []string
		copyFails bool
	}{
		{"a channel entry that is not an incident number", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "incidents_by_channel", []byte("C9"), []byte{1, 2})
		}, []string{"channel index: channel C9's entry 0102 is not an incident number"}, false},
		{"a channel of an incident that does not exist", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "incidents_by_channel", []byte("C9"), indexKey(9))
		}, []string{"channel index: channel C9 is listed for INC-9, which has no incident record"}, false},
		{"a channel listed for another incident", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "incidents_by_channel", []byte("C1"), indexKey(2))
		}, []string{
			"channel index: channel C1 is listed for INC-2, whose record names another channel",
			"channel index: INC-1's channel C1 is listed for another incident",
		}, false},
		{"an incident's channel missing from the index", func(t *testing.T, tx *bolt.Tx) {
			del(t, tx, "incidents_by_channel", []byte("C2"))
		}, []string{"channel index: INC-2's channel C2 is missing from the channel index"}, false},
		{"two records claiming one channel", func(t *testing.T, tx *bolt.Tx) {
			editRecord(t, tx, 2, func(inc *incident.Incident) { inc.ChannelID = "C1" })
			del(t, tx, "incidents_by_channel", []byte("C2"))
		}, []string{"channel index: INC-2's channel C1 is INC-1's too; `incidentbot store copy` fails on it too"}, true},

		{"a due time that cannot be read", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "reminders", []byte{1, 2, 3}, indexKey(1))
		}, []string{"reminder schedule: key 010203 is not a due time and an incident number"}, false},
		{"a due time not set for its incident", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "reminders", concatKey(timeKeyOf(t0.Add(5*time.Hour)), indexKey(1)), indexKey(1))
		}, []string{"reminder schedule: INC-1's reminder at 2025-03-14T14:26:53Z is not the one set for it"}, false},
		{"a reminder missing from the due times", func(t *testing.T, tx *bolt.Tx) {
			del(t, tx, "reminders", concatKey(timeKeyOf(remindAt), indexKey(1)))
		}, []string{"reminder schedule: INC-1's reminder is missing from the due times, so it never fires"}, false},
		{"a reminder of an incident that does not exist", func(t *testing.T, tx *bolt.Tx) {
			putReminder(t, tx, 9, remindAt)
		}, []string{"reminder schedule: INC-9 has a reminder but no incident record"}, false},
		{"a reminder of a resolved incident", func(t *testing.T, tx *bolt.Tx) {
			putReminder(t, tx, 3, remindAt)
		}, []string{"reminder schedule: INC-3 has a reminder but its record says it is resolved"}, false},
		{"a reminder time that cannot be read", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "reminders_by_incident", indexKey(1), []byte{1})
		}, []string{
			"reminder schedule: INC-1's reminder at 2025-03-14T10:26:53Z is not the one set for it",
			"reminder schedule: INC-1's reminder time 01 cannot be read; `incidentbot store copy` fails on it too",
		}, true},

		{"a nudge key that cannot be read", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "postmortem_nudges", []byte{1, 2, 3}, []byte{})
		}, []string{"postmortem nudge index: key 010203 is not a resolution time and an incident number"}, false},
		{"a nudge of an incident that does not exist", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "postmortem_nudges", concatKey(timeKeyOf(resolved3), indexKey(9)), []byte{})
		}, []string{"postmortem nudge index: INC-9 has an entry but no incident record"}, false},
		{"a nudge of an open incident", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "postmortem_nudges", concatKey(timeKeyOf(resolved3), indexKey(1)), []byte{})
		}, []string{"postmortem nudge index: INC-1 has an entry but its record says it is open"}, false},
		{"a nudge at another time than the resolution", func(t *testing.T, tx *bolt.Tx) {
			del(t, tx, "postmortem_nudges", concatKey(timeKeyOf(resolved3), indexKey(3)))
			putKV(t, tx, "postmortem_nudges", concatKey(timeKeyOf(t0), indexKey(3)), []byte{})
		}, []string{"postmortem nudge index: INC-3's entry disagrees with its record on its resolution time"}, false},
		{"an incident nudged twice", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "postmortem_nudges", concatKey(timeKeyOf(t0.Add(10*time.Hour)), indexKey(4)), []byte{})
		}, []string{
			"postmortem nudge index: INC-4 has more than one entry",
			"postmortem nudge index: INC-4's entry disagrees with its record on its resolution time",
		}, false},
		{"an archive entry of an incident that does not exist", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "archive_due", concatKey(timeKeyOf(resolved4), indexKey(9)), []byte{})
		}, []string{"archive index: INC-9 has an entry but no incident record"}, false},
		{"an archive entry at another time than the resolution", func(t *testing.T, tx *bolt.Tx) {
			del(t, tx, "archive_due", concatKey(timeKeyOf(resolved4), indexKey(4)))
			putKV(t, tx, "archive_due", concatKey(timeKeyOf(resolved3), indexKey(4)), []byte{})
		}, []string{"archive index: INC-4's entry disagrees with its record on its resolution time"}, false},
		{"an archive key that cannot be read", func(t *testing.T, tx *bolt.Tx) {
			putKV(t, tx, "archive_due", []byte{0xff}, []byte{})
		}, []string{"archive index: key ff is not a resolution time and an incident number"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "bot.db")
			seedIndexes(t, path)
			spoilWith(t, path, tt.spoil)

			before := fileSum(t, path)
			rep, err := boltstore.Check(path, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if fileSum(t, path) != before {
				t.Fatal("Check changed the file")
			}
			if strings.Join(rep.Problems, "\n") != strings.Join(tt.want, "\n") || rep.Indexes != len(tt.want) || len(rep.IndexReaders) != 1 {
				t.Fatalf("Check found (%d about %d index(es)):\n%s\nwant:\n%s", rep.Indexes, len(rep.IndexReaders), rep, strings.Join(tt.want, "\n"))
			}
			if wantUncopyable := strings.Count(strings.Join(tt.want, "\n"), "fails on it"); rep.Uncopyable != wantUncopyable {
				t.Fatalf("Check counted %d problems a copy fails on, want %d", rep.Uncopyable, wantUncopyable)
			}

			src, err := boltstore.Open(path, boltstore.Options{IndexArchives: true})
			if err != nil {
				t.Fatalf("the bot would not start on it: %v", err)
			}
			defer src.Close()
			dst := bolttest.OpenPath(t, filepath.Join(dir, "copy.db"), boltstore.Options{IndexArchives: true})
			_, err = storecopy.Copy(context.Background(), src, dst)
			dst.Close()
			if tt.copyFails {
				if err == nil {
					t.Fatal("the copy succeeded, yet the report says it fails")
				}
				return
			}
			if err != nil {
				t.Fatalf("the copy that the report offers: %v", err)
			}
			if rep, err := boltstore.Check(filepath.Join(dir, "copy.db"), time.Second); err != nil || len(rep.Problems) != 0 {
				t.Fatalf("the copy: %v\n%s", err, rep)
			}
		})
	}
}

// seedIndexes writes, with archives indexed: INC-1 open in channel C1
// with a reminder at remindAt, INC-2 open in C2 without one, INC-3
// resolved at resolved3 in C3, INC-4 resolved at resolved4 without a
// channel; INC-3 and INC-4 are in the nudge and archive indexes.
func seedIndexes(t *testing.T, path string) {
	t.Helper()
	s := bolttest.OpenPath(t, path, boltstore.Options{IndexArchives: true, Now: fixedClock})
	for i, ch := range []string{"C1", "C2", "C3", ""} {
		inc := newIncident("incident")
		inc.ChannelID = ch
		update(t, s, func(tx store.Tx) error {
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if i == 0 {
				return tx.SetReminder(inc.Number, remindAt)
			}
			return nil
		})
		if i >= 2 {
			inc.Status, inc.ResolvedAt = incident.Resolved, []time.Time{resolved3, resolved4}[i-2]
			update(t, s, func(tx store.Tx) error { return tx.PutIncident(inc) })
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := boltstore.Check(path, time.Second); err != nil || len(rep.Problems) != 0 {
		t.Fatalf("the store as written: %v\n%s", err, rep)
	}
}

// spoilWith runs spoil in a bbolt transaction on the file at path.
func spoilWith(t *testing.T, path string, spoil func(*testing.T, *bolt.Tx)) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error { spoil(t, tx); return nil })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

func putKV(t *testing.T, tx *bolt.Tx, bucket string, k, v []byte) {
	t.Helper()
	if err := tx.Bucket([]byte(bucket)).Put(k, v); err != nil {
		t.Fatal(err)
	}
}

func del(t *testing.T, tx *bolt.Tx, bucket string, k []byte) {
	t.Helper()
	b := tx.Bucket([]byte(bucket))
	if b.Get(k) == nil {
		t.Fatalf("%s holds no %x to delete", bucket, k)
	}
	if err := b.Delete(k); err != nil {
		t.Fatal(err)
	}
}

// putReminder enters a reminder of n at due in both of the schedule's
// buckets, as SetReminder does, whether or not n may have one.
func putReminder(t *testing.T, tx *bolt.Tx, n uint64, due time.Time) {
	t.Helper()
	putKV(t, tx, "reminders", concatKey(timeKeyOf(due), indexKey(n)), indexKey(n))
	putKV(t, tx, "reminders_by_incident", indexKey(n), timeKeyOf(due))
}

// editRecord rewrites incident n's record without touching its indexes.
func editRecord(t *testing.T, tx *bolt.Tx, n uint64, edit func(*incident.Incident)) {
	t.Helper()
	b := tx.Bucket([]byte("incidents"))
	inc := new(incident.Incident)
	if err := json.Unmarshal(b.Get(indexKey(n)), inc); err != nil {
		t.Fatal(err)
	}
	edit(inc)
	raw, err := json.Marshal(inc)
	if err != nil {
		t.Fatal(err)
	}
	putKV(t, tx, "incidents", indexKey(n), raw)
}

func concatKey(a, b []byte) []byte { return append(append([]byte{}, a...), b...) }
