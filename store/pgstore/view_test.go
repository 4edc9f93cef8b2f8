package pgstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// A read under ViewContext ends with its context: once the context is
// cancelled, the snapshot's next query fails with the context's error
// instead of reading on; a context done before the read starts no
// snapshot at all; and the pool serves the next read as before.
func TestViewContextEndsWithItsContext(t *testing.T) {
	s := open(t, pgtest.DSN(t), pgstore.Options{})
	n := declare(t, s, "one").Number
	ctx, cancel := context.WithCancel(t.Context())
	var before, after error
	err := s.ViewContext(ctx, func(tx store.Tx) error {
		_, before = tx.Incident(n)
		cancel()
		_, after = tx.Incident(n)
		return after
	})
	if before != nil || !errors.Is(after, context.Canceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("read before the cancel: %v; after: %v; ViewContext: %v; want the reads after it to fail with context.Canceled", before, after, err)
	}
	ran := false
	if err := s.ViewContext(ctx, func(store.Tx) error { ran = true; return nil }); ran || !errors.Is(err, context.Canceled) {
		t.Fatalf("with a done context: fn ran %v, ViewContext %v", ran, err)
	}
	if err := s.View(func(tx store.Tx) error { _, err := tx.Incident(n); return err }); err != nil {
		t.Fatalf("the next read: %v", err)
	}
}
