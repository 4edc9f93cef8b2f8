package bolttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// Damage kinds for Damaged: the ways a store file is found broken. One
// meta page alone is damage bbolt survives (it reads the other one); the
// rest make the file unusable.
const (
	Truncated = "truncated to 16 KiB"         // a copy cut short (full disk, interrupted copy)
	DataPage  = "random bytes on a data page" // the root page of the tree scribbled
	MetaPage0 = "random bytes on meta page 0"
	MetaPage1 = "random bytes on meta page 1"
	BothMeta  = "random bytes on both meta pages"
)

// Damaged writes a store with a few hundred incidents under dir, closes it,
// damages it as kind says, and returns its path. The random bytes come
// from a fixed seed, so every run damages the file the same way.
func Damaged(tb testing.TB, dir, kind string) string {
	tb.Helper()
	path := filepath.Join(dir, "incidentbot.db")
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	for range 3 {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			for i := range 100 {
				err := tx.CreateIncident(&incident.Incident{
					Title: fmt.Sprintf("incident %d %s", i, strings.Repeat("x", 200)), Severity: "SEV2",
					Status: incident.Investigating, DeclaredBy: "U1", StartedAt: time.Unix(0, 0), DeclaredAt: time.Unix(0, 0),
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	rep, err := boltstore.Check(path, time.Second)
	if err != nil || len(rep.Problems) > 0 || rep.Root < 2 {
		tb.Fatalf("storetest: the store was not healthy before damage: %v %v", err, rep)
	}
	rng := rand.New(rand.NewPCG(12, 6))
	scribble := func(page uint64) {
		junk := make([]byte, rep.PageSize)
		for i := range junk {
			junk[i] = byte(rng.UintN(256))
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt(junk, int64(page)*int64(rep.PageSize)); err != nil {
			tb.Fatal(err)
		}
	}
	switch kind {
	case Truncated:
		err = os.Truncate(path, 16<<10)
	case DataPage:
		scribble(rep.Root)
	case MetaPage0:
		scribble(0)
	case MetaPage1:
		scribble(1)
	case BothMeta:
		scribble(0)
		scribble(1)
	default:
		tb.Fatalf("storetest: unknown damage %q", kind)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return path
}
