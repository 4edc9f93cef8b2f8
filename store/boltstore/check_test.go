package boltstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// A damaged file is refused by Open with an error naming the file and what
// is wrong (bbolt, which maps the file and trusts it, would crash with
// SIGBUS or SIGSEGV), and Check lists the problems.
func TestDamagedStoreIsRefused(t *testing.T) {
	tests := []struct {
		kind string
		want string
	}{
		{bolttest.Truncated, "truncated"},
		{bolttest.DataPage, "page"},
		{bolttest.BothMeta, "meta page"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			path := bolttest.Damaged(t, t.TempDir(), tt.kind)
			s, err := boltstore.Open(path, boltstore.Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open accepted a damaged store")
			}
			if !errors.Is(err, boltstore.ErrDamaged) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: %v; want ErrDamaged naming %s and %q", err, path, tt.want)
			}
			rep, err := boltstore.Check(path, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) == 0 || !strings.Contains(rep.String(), "DAMAGED") {
				t.Fatalf("Check found nothing:\n%s", rep)
			}
		})
	}
}

// One damaged meta page is what a power cut during a commit leaves: bbolt
// reads the other one, so Open serves every incident, with a warning for the
// operator, and Check reports it. The next commits rewrite both pages.
func TestOneDamagedMetaPageIsSurvived(t *testing.T) {
	for _, tt := range []struct{ kind, want string }{
		{bolttest.MetaPage0, "meta page 0"},
		{bolttest.MetaPage1, "meta page 1"},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			path := bolttest.Damaged(t, t.TempDir(), tt.kind)
			rep, err := boltstore.Check(path, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) != 0 || len(rep.Warnings) == 0 || !strings.Contains(rep.String(), "warning: "+tt.want) {
				t.Fatalf("Check:\n%s", rep)
			}
			s, err := boltstore.Open(path, boltstore.Options{})
			if err != nil {
				t.Fatalf("Open refused a store bbolt can read: %v", err)
			}
			if w := s.Warnings(); len(w) != 1 || !strings.Contains(w[0], tt.want) {
				t.Fatalf("Warnings() = %q", w)
			}
			declare(t, s, "after the power cut")
			declare(t, s, "and one more")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			rep, err = boltstore.Check(path, time.Second)
			if err != nil || len(rep.Problems) != 0 || len(rep.Warnings) != 0 {
				t.Fatalf("after two commits: %v\n%s", err, rep)
			}
		})
	}
}

// A healthy store passes both the pre-map walk and bbolt's own check.
func TestCheckHealthyStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := bolttest.OpenPath(t, path, boltstore.Options{})
	for range 50 {
		declare(t, s, strings.Repeat("long title ", 40))
	}
	s.Close()
	rep, err := boltstore.Check(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 || rep.Visited < 3 || !strings.Contains(rep.String(), "no problems found") {
		t.Fatalf("healthy store reported as:\n%s", rep)
	}
	s2, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}

// Check refuses a store that a running bot holds, rather than reading a
// file that is being written.
func TestCheckRefusesALockedStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := bolttest.OpenPath(t, path, boltstore.Options{})
	_ = s
	_, err := boltstore.Check(path, 100*time.Millisecond)
	if !errors.Is(err, boltstore.ErrLocked) {
		t.Fatalf("Check on a store in use: %v, want ErrLocked", err)
	}
}

// A file that is not a store at all is still called that.
func TestCheckNotAStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("notes\n", 2000)), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := boltstore.Check(path, time.Second)
	if err != nil || !rep.NoMeta || !strings.Contains(rep.Err().Error(), "not an incidentbot store") {
		t.Fatalf("Check: %v %v", err, rep)
	}
}
