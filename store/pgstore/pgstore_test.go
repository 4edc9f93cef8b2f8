package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC)

// open opens a store on dsn, closed when the test ends.
func open(t *testing.T, dsn string, opts pgstore.Options) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newIncident(title string) *incident.Incident {
	return &incident.Incident{Title: title, Severity: "SEV2", Status: incident.Investigating, DeclaredBy: "U1", DeclaredAt: t0, StartedAt: t0}
}

func declare(t *testing.T, s *pgstore.Store, title string) *incident.Incident {
	t.Helper()
	var inc *incident.Incident
	update(t, s, func(tx store.Tx) error {
		inc = newIncident(title)
		return tx.CreateIncident(inc)
	})
	return inc
}

func update(t *testing.T, s *pgstore.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func TestMigrationsRunOnceAndDryRunChangesNothing(t *testing.T) {
	dsn := pgtest.DSN(t)
	pending, err := pgstore.MigrateDSN(t.Context(), dsn, true)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pgstore.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != len(all) || pending[0].Version != 1 {
		t.Fatalf("a new database has pending %+v, want all %d", pending, len(all))
	}
	// The dry run created nothing, so it still lists everything.
	if again, _ := pgstore.MigrateDSN(t.Context(), dsn, true); len(again) != len(all) {
		t.Fatalf("after a dry run, pending = %d migrations, want %d", len(again), len(all))
	}

	// Replicas starting together: the advisory lock lets one migrate and
	// the others find the work done.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			s, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent opens: %v", err)
	}
	s := open(t, dsn, pgstore.Options{})
	if v, err := s.SchemaVersion(); err != nil || v != len(all) {
		t.Fatalf("schema version = %d, %v; want %d", v, err, len(all))
	}
	if pending, err := pgstore.MigrateDSN(t.Context(), dsn, true); err != nil || len(pending) != 0 {
		t.Fatalf("after Open, pending = %+v, %v; want none", pending, err)
	}
}

func TestADatabaseFromANewerBinaryIsRefused(t *testing.T) {
	dsn := pgtest.DSN(t)
	s := open(t, dsn, pgstore.Options{})
	update(t, s, func(store.Tx) error { return nil })
	exec(t, dsn, "INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')")
	_, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
	if !errors.Is(err, pgstore.ErrNewerSchema) {
		t.Fatalf("Open = %v, want ErrNewerSchema", err)
	}
}

func TestReplicasDeclaringAtOnceNeverShareANumber(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn, pgstore.Options{}), open(t, dsn, pgstore.Options{})
	const each = 40
	numbers := make(chan uint64, 2*each)
	var wg sync.WaitGroup
	for _, s := range []*pgstore.Store{a, b} {
		for i := range each {
			wg.Go(func() {
				inc := newIncident(fmt.Sprintf("outage %d", i))
				if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateIncident(inc) }); err != nil {
					t.Errorf("declare: %v", err)
					return
				}
				numbers <- inc.Number
			})
		}
	}
	wg.Wait()
	close(numbers)
	seen := map[uint64]bool{}
	for n := range numbers {
		if seen[n] {
			t.Errorf("two declarations got %s", incident.FormatID(n))
		}
		seen[n] = true
	}
	for n := uint64(1); n <= 2*each; n++ {
		if !seen[n] {
			t.Errorf("%s was never issued: numbers must be 1…%d without gaps", incident.FormatID(n), 2*each)
		}
	}
}

func TestConcurrentAppendsKeepEachTimelineGapless(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn, pgstore.Options{}), open(t, dsn, pgstore.Options{})
	one, two := declare(t, a, "one"), declare(t, a, "two")
	const each = 15
	var wg sync.WaitGroup
	for _, s := range []*pgstore.Store{a, b} {
		for i := range each {
			wg.Go(func() {
				for _, inc := range []*incident.Incident{one, two} {
					// Read-modify-write of the incident besides the
					// append, as a status update does.
					err := s.Update(t.Context(), func(tx store.Tx) error {
						cur, err := tx.Incident(inc.Number)
						if err != nil {
							return err
						}
						cur.Summary += "."
						if err := tx.PutIncident(cur); err != nil {
							return err
						}
						_, err = tx.AppendEvent(inc.Number, incident.Event{Kind: incident.EventNote, Text: fmt.Sprint(i)})
						return err
					})
					if err != nil {
						t.Errorf("append: %v", err)
					}
				}
			})
		}
	}
	wg.Wait()
	for _, inc := range []*incident.Incident{one, two} {
		err := b.View(func(tx store.Tx) error {
			evs, err := tx.Events(inc.Number)
			if err != nil {
				return err
			}
			if len(evs) != 2*each {
				t.Errorf("%s has %d events, want %d", inc.ID(), len(evs), 2*each)
			}
			for i, ev := range evs {
				if ev.Seq != uint64(i+1) {
					t.Fatalf("%s event %d has seq %d: a gap or a duplicate", inc.ID(), i, ev.Seq)
				}
			}
			cur, err := tx.Incident(inc.Number)
			if err == nil && len(cur.Summary) != 2*each {
				t.Errorf("%s summary grew by %d, want %d: an update was lost", inc.ID(), len(cur.Summary), 2*each)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestViewRefusesWrites(t *testing.T) {
	s := open(t, pgtest.DSN(t), pgstore.Options{})
	err := s.View(func(tx store.Tx) error { return tx.CreateIncident(newIncident("x")) })
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("write in View = %v, want refused as read-only", err)
	}
}

func TestAChannelBelongsToOneIncident(t *testing.T) {
	s := open(t, pgtest.DSN(t), pgstore.Options{})
	one, two := declare(t, s, "one"), declare(t, s, "two")
	one.ChannelID = "C1"
	update(t, s, func(tx store.Tx) error { return tx.PutIncident(one) })
	err := s.Update(t.Context(), func(tx store.Tx) error {
		two.ChannelID = "C1"
		if err := tx.PutIncident(two); err == nil {
			return errors.New("the taken channel was accepted")
		} else if !strings.Contains(err.Error(), "already belongs to INC-1") {
			return err
		}
		// The refusal did not abort the transaction: go on with it.
		two.ChannelID = "C2"
		return tx.PutIncident(two)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(func(tx store.Tx) error {
		got, err := tx.IncidentByChannel("C2")
		if err == nil && got.Number != two.Number {
			t.Errorf("C2 belongs to %s", got.ID())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// exec runs sql on dsn, as an operator would.
func exec(t *testing.T, dsn, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatal(err)
	}
}
