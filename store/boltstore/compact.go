package boltstore

import (
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// compactTxMaxSize bounds each copying transaction so compacting a large
// store does not hold it all in memory at once.
const compactTxMaxSize = 64 << 20

// Compact copies the store at src into a new file dst, leaving out the space
// that deleted data (completed jobs, pruned keys) still occupies: bbolt never
// shrinks a file in place. src must not be in use — the error wraps ErrLocked
// while incidentbot runs — and dst must not exist. Bucket sequences are
// copied, so incident numbers and job IDs continue where they were. To use
// the result, stop incidentbot, compact, and move dst over src.
func Compact(src, dst string, opts Options) error {
	opts = opts.withDefaults()
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("compact %s: %w", src, err)
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("compact %s: %s already exists; give the path of a new file", src, dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("compact %s into %s: %w", src, dst, err)
	}
	if err := checkPath(dst); err != nil {
		return fmt.Errorf("compact %s: %w", src, err)
	}
	// Read-write, not read-only: a shared lock would not keep a running
	// incidentbot from writing after our check, and the exclusive one makes
	// "in use" an error rather than a torn copy.
	from, err := bolt.Open(src, 0o600, &bolt.Options{Timeout: opts.Timeout})
	if err != nil {
		return fmt.Errorf("compact: %w", openError(src, err))
	}
	defer from.Close()
	to, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	if err != nil {
		return fmt.Errorf("compact %s: %w", src, openError(dst, err))
	}
	if err := bolt.Compact(to, from, compactTxMaxSize); err != nil {
		_ = to.Close()
		_ = os.Remove(dst)
		return fmt.Errorf("compact %s into %s: %w", src, dst, err)
	}
	if err := to.Close(); err != nil {
		return fmt.Errorf("compact %s into %s: %w", src, dst, err)
	}
	return nil
}
