package boltstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func fixedClock() time.Time { return t0 }

func update(t testing.TB, s *boltstore.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t testing.TB, s *boltstore.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.View(fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

func newIncident(title string) *incident.Incident {
	return &incident.Incident{
		Title:      title,
		Severity:   "SEV2",
		Status:     incident.Investigating,
		DeclaredBy: "U1",
		StartedAt:  t0,
		DeclaredAt: t0,
	}
}

// declare stores a new incident in its own transaction and returns it.
func declare(t testing.TB, s *boltstore.Store, title string) *incident.Incident {
	t.Helper()
	inc := newIncident(title)
	update(t, s, func(tx store.Tx) error { return tx.CreateIncident(inc) })
	return inc
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	s := bolttest.OpenPath(t, path, boltstore.Options{})
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode = %v, want 0600", mode)
	}
	v, err := s.SchemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v != boltstore.CurrentSchemaVersion() {
		t.Errorf("SchemaVersion() = %d, want %d", v, boltstore.CurrentSchemaVersion())
	}
}

func TestOpenBadPath(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want string
	}{
		{"empty", "", "no file path"},
		{"missing directory", filepath.Join(dir, "nope", "bot.db"), "directory " + filepath.Join(dir, "nope") + " does not exist"},
		{"parent is a file", filepath.Join(notDB, "bot.db"), "is not a directory"},
		{"path is a directory", dir, "it is a directory"},
		{"not a bbolt file", notDB, "not an incidentbot store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := boltstore.Open(tt.path, boltstore.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want error", tt.path)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q) error = %q, want it to contain %q", tt.path, err, tt.want)
			}
		})
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	s, err := boltstore.Open(path, boltstore.Options{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	var job store.Job
	update(t, s, func(tx store.Tx) error {
		for _, title := range []string{"db down", "api slow"} {
			inc := newIncident(title)
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if _, err := tx.AppendEvent(inc.Number, incident.Event{Kind: incident.EventDeclared, Actor: "U1"}); err != nil {
				return err
			}
		}
		var err error
		if job, err = tx.Enqueue(store.Job{Incident: 1, Kind: "create_channel", Payload: []byte(`{"name":"inc-1"}`)}); err != nil {
			return err
		}
		if _, err := tx.MarkSeen("Ev1", t0); err != nil {
			return err
		}
		return tx.SetReminder(2, t0.Add(time.Hour))
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = bolttest.OpenPath(t, path, boltstore.Options{Now: fixedClock})
	third := declare(t, s, "cache cold")
	if third.ID() != "INC-3" {
		t.Errorf("after reopen, new incident is %s, want INC-3", third.ID())
	}
	view(t, s, func(tx store.Tx) error {
		inc, err := tx.Incident(2)
		if err != nil {
			return err
		}
		if inc.Title != "api slow" || inc.UUID == "" {
			t.Errorf("INC-2 = %+v", inc)
		}
		evs, err := tx.Events(1)
		if err != nil {
			return err
		}
		if len(evs) != 1 || evs[0].Kind != incident.EventDeclared || !evs[0].At.Equal(t0) {
			t.Errorf("events of INC-1 = %+v", evs)
		}
		got, err := tx.Job(job.ID)
		if err != nil {
			return err
		}
		if got.Kind != job.Kind || string(got.Payload) != string(job.Payload) || !got.CreatedAt.Equal(t0) {
			t.Errorf("job = %+v, want %+v", got, job)
		}
		due, ok, err := tx.Reminder(2)
		if err != nil {
			return err
		}
		if !ok || !due.Equal(t0.Add(time.Hour)) {
			t.Errorf("reminder of INC-2 = %v %v", due, ok)
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		seen, err := tx.MarkSeen("Ev1", t0)
		if err != nil {
			return err
		}
		if !seen {
			t.Error("seen key Ev1 forgotten after reopen")
		}
		return nil
	})
}

func TestCloseTwice(t *testing.T) {
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "bot.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestUpdateCancelledContextWritesNothing(t *testing.T) {
	s := bolttest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := s.Update(ctx, func(tx store.Tx) error {
		ran = true
		return tx.CreateIncident(newIncident("never"))
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update error = %v, want context.Canceled", err)
	}
	if ran {
		t.Error("fn ran despite a cancelled context")
	}
}

func TestUpdateReturnsFnError(t *testing.T) {
	s := bolttest.Open(t)
	want := incident.Errorf(incident.EINVALID, "bad input")
	err := s.Update(context.Background(), func(tx store.Tx) error { return want })
	if incident.ErrorCode(err) != incident.EINVALID || incident.ErrorMessage(err) != "bad input" {
		t.Errorf("Update error = %v, want the fn's *incident.Error", err)
	}
}

func TestWriteInViewFails(t *testing.T) {
	s := bolttest.Open(t)
	err := s.View(func(tx store.Tx) error { return tx.CreateIncident(newIncident("x")) })
	if err == nil {
		t.Error("CreateIncident inside View succeeded")
	}
}

func TestEventBySeq(t *testing.T) {
	s := bolttest.Open(t)
	err := s.Update(context.Background(), func(tx store.Tx) error {
		inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
		if err := tx.CreateIncident(inc); err != nil {
			return err
		}
		for _, text := range []string{"a", "b"} {
			if _, err := tx.AppendEvent(inc.Number, incident.Event{Kind: incident.EventNote, Text: text}); err != nil {
				return err
			}
		}
		ev, err := tx.Event(inc.Number, 2)
		if err != nil || ev.Text != "b" || ev.Seq != 2 {
			t.Fatalf("Event(1, 2) = %+v, %v", ev, err)
		}
		if _, err := tx.Event(inc.Number, 3); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing seq: %v", err)
		}
		if _, err := tx.Event(99, 1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing incident: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
