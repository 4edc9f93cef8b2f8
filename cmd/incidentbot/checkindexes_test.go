package main

import (
	"bytes"
	"context"
	binenc "encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// check's closing line says what reads each index that disagrees with the
// records, that the bot starts on the file, and how to mend it: `store
// copy` where it rebuilds those indexes (and then the copy checks clean),
// a backup alone where the copy fails too (and then it does).
func TestCheckClosingLineNamesEachIndexAndItsMend(t *testing.T) {
	key := func(n uint64) []byte { return binenc.BigEndian.AppendUint64(nil, n) }
	tests := []struct {
		name      string
		spoil     func(tx *bolt.Tx) error
		closing   string
		copyMends bool
	}{
		{"the channel index and the reminder schedule", func(tx *bolt.Tx) error {
			if err := tx.Bucket([]byte("incidents_by_channel")).Delete([]byte("C1")); err != nil {
				return err
			}
			return tx.Bucket([]byte("reminders_by_incident")).Put(key(2), key(1))
		}, "The bot starts on it, but commands in an incident's channel find their incident through the channel index; " +
			"status-update reminders fire from the reminder schedule, not the records: restore the file from a backup while incidentbot is stopped, " +
			"or copy it with `incidentbot store copy`, which rebuilds the indexes from the records.", true},
		{"a postmortem nudge that cannot be read, which the bot and the copy skip", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("postmortem_nudges")).Put([]byte{1}, []byte{})
		}, "The bot starts on it, but postmortem reminders fire from the postmortem nudge index, not the records: restore the file from a backup while incidentbot is stopped, " +
			"or copy it with `incidentbot store copy`, which rebuilds the indexes from the records.", true},
		{"a reminder time the copy cannot read", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("reminders_by_incident")).Put(key(1), []byte{1})
		}, "The bot starts on it, but status-update reminders fire from the reminder schedule, not the records: restore the file from a backup while incidentbot is stopped; " +
			"`incidentbot store copy`, which rebuilds the indexes from the records, fails on what is marked so above.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			storePath := filepath.Join(dir, "bot.db")
			cfg := writeStoreConfig(t, dir, "config.yaml", storePath)
			s := bolttest.OpenPath(t, storePath, boltstore.Options{})
			err := s.Update(context.Background(), func(tx store.Tx) error {
				inc := &incident.Incident{Title: "checkout down", Severity: "SEV2", Status: incident.Investigating, ChannelID: "C1", DeclaredAt: time.Now()}
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				return tx.SetReminder(inc.Number, time.Now().Add(time.Hour))
			})
			if err == nil {
				err = s.Update(context.Background(), func(tx store.Tx) error {
					inc := &incident.Incident{Title: "search slow", Severity: "SEV2", Status: incident.Investigating, DeclaredAt: time.Now()}
					if err := tx.CreateIncident(inc); err != nil {
						return err
					}
					inc.Status, inc.ResolvedAt = incident.Resolved, time.Now()
					return tx.PutIncident(inc)
				})
			}
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			db, err := bolt.Open(storePath, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(tt.spoil)
			if cerr := db.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}

			var stdout, stderr bytes.Buffer
			code := checkCmd([]string{"--config", cfg}, nil, &stdout, &stderr)
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if code != checkDamaged || stderr.Len() != 0 || lines[len(lines)-1] != tt.closing {
				t.Fatalf("check: exit %d, stdout:\n%s\nstderr:\n%s\nwant the closing line:\n%s", code, stdout.String(), stderr.String(), tt.closing)
			}

			copyPath := filepath.Join(dir, "copy.db")
			stdout.Reset()
			stderr.Reset()
			code = storeCopyCmd(context.Background(), []string{"--from", "bbolt:" + storePath, "--to", "bbolt:" + copyPath}, nil, &stdout, &stderr)
			if !tt.copyMends {
				if code == copyDone || strings.Count(strings.TrimSpace(stderr.String()), "\n") > 1 {
					t.Fatalf("store copy of what it cannot read: exit %d, stderr %q", code, stderr.String())
				}
				return
			}
			if code != copyDone {
				t.Fatalf("store copy: exit %d, stderr %q", code, stderr.String())
			}
			stdout.Reset()
			copyCfg := writeStoreConfig(t, dir, "copy.yaml", copyPath)
			if code := checkCmd([]string{"--config", copyCfg}, nil, &stdout, &stderr); code != checkClean {
				t.Fatalf("check of the copy: exit %d:\n%s", code, stdout.String())
			}
		})
	}
}

// writeStoreConfig writes a config file naming storePath and returns its path.
func writeStoreConfig(t *testing.T, dir, name, storePath string) string {
	t.Helper()
	cfg := filepath.Join(dir, name)
	if err := os.WriteFile(cfg, []byte("store:\n  path: "+storePath+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}
