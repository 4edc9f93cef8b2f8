package scheduler_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/scheduler"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// lockedBuffer is the log, written by the scheduler's goroutine and read
// by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

// key is a schedule key: time (sign bit flipped, as the store writes it) ‖
// incident number.
func key(at time.Time, n uint64) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano())^(1<<63))
	return binary.BigEndian.AppendUint64(k, n)
}

// One damaged entry in the schedule, the key that sorts first, or a record
// a nudge or an archive points at that cannot be read, once failed every
// cycle: no reminder fired again until the file was fixed. The entry is
// now skipped, said once in the log however many cycles pass, and the
// healthy incidents' reminders fire on time.
func TestDamagedScheduleEntryDoesNotSilenceTheOthers(t *testing.T) {
	// The file holds INC-1, open at SEV1 with its reminder at t0+15m, and
	// INC-2, resolved at t0 (so in the nudge and archive indexes, both due
	// an hour after resolution).
	tests := []struct {
		name  string
		spoil func(tx *bolt.Tx) error
		// logged is what each error line names; lines how many there are
		// (one per damaged entry).
		logged string
		lines  int
		// posts is the reminder posts by t0+1h: INC-1's four, and INC-2's
		// postmortem nudge when its record can be read.
		posts int
	}{
		{"a due time that cannot be read, sorting first", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("reminders")).Put([]byte{1, 2, 3}, []byte{})
		}, "bucket reminders: key 010203", 1, 5},
		{"a due time not the one set for its incident", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("reminders")).Put(key(t0.Add(-time.Hour), 1), binary.BigEndian.AppendUint64(nil, 1))
		}, "is not the reminder set for its incident", 1, 5},
		{"a postmortem nudge key that cannot be read", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("postmortem_nudges")).Put([]byte{1, 2, 3}, []byte{})
		}, "bucket postmortem_nudges: key 010203", 1, 5},
		{"an archive key that cannot be read", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("archive_due")).Put([]byte{1, 2, 3}, []byte{})
		}, "bucket archive_due: key 010203", 1, 5},
		{"a nudged and archived incident whose record cannot be read", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("incidents")).Put(binary.BigEndian.AppendUint64(nil, 2), []byte(`{"number":2,`))
		}, "INC-2 dropped", 2, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bot.db")
			seedDamageFixture(t, path)
			db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(tt.spoil); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			logs := &lockedBuffer{}
			log := zerolog.New(logs)
			f := &fixture{t: t, clk: clock.NewFake(t0), fired: make(chan struct{}, 1000)}
			scheduled := wake.New()
			st := bolttest.OpenPath(t, path, boltstore.Options{NoSync: true, IndexArchives: true, OnSchedule: scheduled.Notify,
				OnEnqueue: func() { f.fired <- struct{}{} },
				// As app.Open logs it.
				OnUnreadable: func(err error) { log.Error().Err(err).Msg("schedule entry cannot be read") },
			})
			f.svc = &commands.Service{Store: st, Settings: incident.DefaultSettings(), Clock: f.clk, PostmortemReminder: time.Hour, ArchiveAfter: time.Hour}
			f.obs = &observed{Service: f.svc, nexts: make(chan time.Time, 1000)}
			f.sched = scheduler.New(scheduler.Options{Reminders: f.obs, Wake: scheduled, Clock: f.clk, Log: log})

			f.start()
			f.armed()
			for i := 1; i <= 4; i++ { // INC-1 fires every 15 minutes
				f.clk.Advance(15 * time.Minute)
				f.awaitNextDue(t0.Add(time.Duration(i+1) * 15 * time.Minute))
				if got := f.reminders(); got < i {
					t.Fatalf("%d reminders after %d intervals, want at least %d", got, i, i)
				}
			}
			// INC-2 is nudged and archived at t0+1h, with the fourth reminder.
			if got := f.reminders(); got != tt.posts {
				t.Fatalf("%d reminder posts, want %d", got, tt.posts)
			}
			var errs []string
			for _, l := range logs.lines() {
				if strings.Contains(l, `"level":"error"`) {
					errs = append(errs, l)
				}
			}
			if len(errs) != tt.lines || !strings.Contains(strings.Join(errs, "\n"), tt.logged) || strings.Count(strings.Join(errs, "\n"), tt.logged) != tt.lines {
				t.Fatalf("after %d cycles the log has %d error lines, want %d naming %q:\n%s", f.sched.Cycles(), len(errs), tt.lines, tt.logged, strings.Join(errs, "\n"))
			}
		})
	}
}

// seedDamageFixture writes INC-1 (open, SEV1, reminder at t0+15m) and INC-2
// (resolved at t0) to path and closes it.
func seedDamageFixture(t *testing.T, path string) {
	t.Helper()
	st := bolttest.OpenPath(t, path, boltstore.Options{NoSync: true, IndexArchives: true, Now: func() time.Time { return t0 }})
	err := st.Update(context.Background(), func(tx store.Tx) error {
		one := &incident.Incident{Title: "x", Severity: "SEV1", Status: incident.Investigating, DeclaredAt: t0, ChannelID: "C1"}
		if err := tx.CreateIncident(one); err != nil {
			return err
		}
		if err := tx.SetReminder(one.Number, t0.Add(15*time.Minute)); err != nil {
			return err
		}
		two := &incident.Incident{Title: "y", Severity: "SEV3", Status: incident.Investigating, DeclaredAt: t0.Add(-time.Hour), ChannelID: "C2"}
		if err := tx.CreateIncident(two); err != nil {
			return err
		}
		if err := two.SetStatus(incident.Resolved, t0); err != nil {
			return err
		}
		return tx.PutIncident(two)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}
