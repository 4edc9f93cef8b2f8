package boltstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
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
	"github.com/incidentbot/incidentbot/store/storecopy"
)

// indexKey is incident n's key in the store's buckets.
func indexKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// Check compares every entry of the open index, which `/incident list`,
// the Home tab and the duplicate check read instead of the records, with
// the incident record it stands for, and the records with the index: one
// line per incident that disagrees. The file's pages are sound all along,
// so bbolt's own check finds nothing; the bot would start and show the
// index's story. A copy rebuilds the index from the records.
func TestCheckComparesTheOpenIndexWithTheRecords(t *testing.T) {
	tests := []struct {
		name string
		// spoil changes incidents_open (INC-1..3 open with their
		// headlines, INC-4 resolved) behind the store's back.
		spoil func(t *testing.T, open *bolt.Bucket)
		want  []string
	}{
		{"an entry of an earlier version, without a headline", func(t *testing.T, open *bolt.Bucket) {
			put(t, open, 1, []byte{})
		}, nil},
		{"an entry of an incident that does not exist", func(t *testing.T, open *bolt.Bucket) {
			put(t, open, 9, open.Get(indexKey(1)))
		}, []string{"open index: INC-9 is listed as open but has no incident record"}},
		{"an entry of a resolved incident", func(t *testing.T, open *bolt.Bucket) {
			put(t, open, 4, []byte{})
		}, []string{"open index: INC-4 is listed as open but its record says it is resolved"}},
		{"a headline of another incident", func(t *testing.T, open *bolt.Bucket) {
			put(t, open, 1, open.Get(indexKey(2)))
		}, []string{"open index: INC-1's entry disagrees with its record on its title, service, declaration time"}},
		{"a headline that cannot be read", func(t *testing.T, open *bolt.Bucket) {
			put(t, open, 2, []byte{1, 0, 200})
		}, []string{"open index: INC-2's entry cannot be read (open index entry is damaged)"}},
		{"an open incident missing from the index", func(t *testing.T, open *bolt.Bucket) {
			if err := open.Delete(indexKey(3)); err != nil {
				t.Fatal(err)
			}
		}, []string{"open index: INC-3 is open but missing from the open index"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "bot.db")
			seedOpenIndex(t, path)
			db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				tt.spoil(t, tx.Bucket([]byte("incidents_open")))
				return nil
			})
			if cerr := db.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}

			before := fileSum(t, path)
			rep, err := boltstore.Check(path, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if fileSum(t, path) != before {
				t.Fatal("Check changed the file")
			}
			if strings.Join(rep.Problems, "\n") != strings.Join(tt.want, "\n") || rep.Indexes != len(tt.want) {
				t.Fatalf("Check found (%d about the index):\n%s\nwant:\n%s", rep.Indexes, rep, strings.Join(tt.want, "\n"))
			}
			for _, p := range tt.want {
				if !strings.Contains(rep.String(), "  - "+p+"\n") {
					t.Fatalf("the report does not list %q on a line of its own:\n%s", p, rep)
				}
			}
			if len(tt.want) == 0 {
				return
			}
			// What the operator is told to do mends it: a copy is built from
			// the records.
			src, err := boltstore.Open(path, boltstore.Options{})
			if err != nil {
				t.Fatalf("the bot would not start on it: %v", err)
			}
			dst := bolttest.OpenPath(t, filepath.Join(dir, "copy.db"), boltstore.Options{})
			if _, err := storecopy.Copy(context.Background(), src, dst); err != nil {
				t.Fatal(err)
			}
			src.Close()
			dst.Close()
			if rep, err := boltstore.Check(filepath.Join(dir, "copy.db"), time.Second); err != nil || len(rep.Problems) != 0 {
				t.Fatalf("the copy: %v\n%s", err, rep)
			}
		})
	}
}

// seedOpenIndex writes INC-1..3, open, each with its own title, service
// and declaration time, and INC-4, resolved, into a store at path.
func seedOpenIndex(t *testing.T, path string) {
	t.Helper()
	s := bolttest.OpenPath(t, path, boltstore.Options{})
	for i, title := range []string{"checkout down", "search slow", "emails late", "disk full"} {
		inc := newIncident(title)
		inc.Service = []string{"checkout", "search", "mail", "db"}[i]
		inc.DeclaredAt = inc.DeclaredAt.Add(time.Duration(i) * time.Minute)
		update(t, s, func(tx store.Tx) error { return tx.CreateIncident(inc) })
		if i == 3 {
			inc.Status = incident.Resolved
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

// fileSum is the SHA-256 of the file at path.
func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func put(t *testing.T, b *bolt.Bucket, n uint64, v []byte) {
	t.Helper()
	if err := b.Put(indexKey(n), append([]byte{}, v...)); err != nil {
		t.Fatal(err)
	}
}
