//go:build linux

package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/diskfault"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// After a commit fails to write, the store says so once, refuses every
// later commit without retrying it, and tells users their request was not
// saved; what was committed before is still there after a restart.
func TestWriteFailureStopsCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	disk := &diskfault.Disk{}
	defer disk.Close()
	var failures []error
	s, err := boltstore.Open(path, boltstore.Options{Now: fixedClock, OpenFile: disk.OpenFile, OnWriteFailure: func(err error) { failures = append(failures, err) }})
	if err != nil {
		t.Fatal(err)
	}
	kept := declare(t, s, "kept")

	if err := disk.Fail(); err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx store.Tx) error { return tx.CreateIncident(newIncident("lost")) })
	var werr *store.WriteError
	if !errors.As(err, &werr) || werr.Path != path {
		t.Fatalf("commit on a full disk: %v, want a *store.WriteError naming %s", err, path)
	}
	if code, msg := incident.ErrorCode(err), incident.ErrorMessage(err); code != incident.EUNAVAILABLE || msg != incident.ErrNotSaved.Message {
		t.Fatalf("users would hear %s %q", code, msg)
	}
	if len(failures) != 1 || failures[0] != err {
		t.Fatalf("OnWriteFailure got %v, want the one failure", failures)
	}
	if s.WriteFailure() != err {
		t.Fatalf("WriteFailure() = %v", s.WriteFailure())
	}

	ran := false
	err2 := s.Update(context.Background(), func(tx store.Tx) error { ran = true; return nil })
	if ran || err2 != err {
		t.Fatalf("the next Update ran its function (%v) or returned %v: a failed commit must never be retried", ran, err2)
	}
	if len(failures) != 1 {
		t.Fatalf("OnWriteFailure called %d times", len(failures))
	}
	// Reads still work: the bot can answer what it already knows.
	view(t, s, func(tx store.Tx) error { _, err := tx.Incident(kept.Number); return err })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	disk.Close()

	s, err = boltstore.Open(path, boltstore.Options{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	view(t, s, func(tx store.Tx) error {
		if _, err := tx.Incident(kept.Number); err != nil {
			return err
		}
		if _, err := tx.Incident(kept.Number + 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the failed commit is on disk after all: %v", err)
		}
		return nil
	})
}

// An error of Update's own function is not a write failure.
func TestFunctionErrorIsNotAWriteFailure(t *testing.T) {
	called := false
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"), boltstore.Options{OnWriteFailure: func(error) { called = true }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boom := errors.New("boom")
	if err := s.Update(context.Background(), func(store.Tx) error { return boom }); err != boom {
		t.Fatalf("got %v", err)
	}
	if err := s.Update(context.Background(), func(store.Tx) error { panic("bug") }); err == nil || called {
		t.Fatalf("a panicking function: %v, write failure reported: %v", err, called)
	}
	if called || s.WriteFailure() != nil {
		t.Fatal("a function error was taken for a write failure")
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateIncident(newIncident("fine")) })
}
