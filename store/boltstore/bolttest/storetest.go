// Package storetest opens real stores for tests: a bbolt file in the test's
// temporary directory, closed when the test ends.
package bolttest

import (
	"path/filepath"
	"testing"

	"github.com/incidentbot/incidentbot/store/boltstore"
)

// Open returns a new, empty store with default options.
func Open(tb testing.TB) *boltstore.Store {
	tb.Helper()
	return OpenWith(tb, boltstore.Options{})
}

// OpenWith returns a new, empty store opened with opts (to inject a clock or
// an OnEnqueue hook).
func OpenWith(tb testing.TB, opts boltstore.Options) *boltstore.Store {
	tb.Helper()
	return OpenPath(tb, filepath.Join(tb.TempDir(), "incidentbot.db"), opts)
}

// OpenPath opens the store at path, for tests that close and reopen a file.
// It is closed when the test ends (closing it earlier is fine too).
func OpenPath(tb testing.TB, path string, opts boltstore.Options) *boltstore.Store {
	tb.Helper()
	s, err := boltstore.Open(path, opts)
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("storetest: %v", err)
		}
	})
	return s
}
