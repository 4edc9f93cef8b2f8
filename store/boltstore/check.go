package boltstore

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrDamaged is wrapped by Open and Check when the store file is damaged.
var ErrDamaged = errors.New("damaged")

// DamageError says what is wrong with a store file.
type DamageError struct {
	Path     string
	Problems []string
	// NoMeta: neither meta page is valid, so this may not be a store at
	// all (a wrong path) rather than a damaged one.
	NoMeta bool
}

func (e *DamageError) Error() string {
	if e.NoMeta {
		return fmt.Sprintf("store %s is not an incidentbot store, or both its meta pages are damaged (%s)", e.Path, e.Problems[0])
	}
	more := ""
	if n := len(e.Problems) - 1; n > 0 {
		more = fmt.Sprintf(", and %d more", n)
	}
	return fmt.Sprintf("store %s is damaged (%s%s)", e.Path, e.Problems[0], more)
}

func (e *DamageError) Unwrap() error { return ErrDamaged }

// Report is what Check found.
type Report struct {
	Path     string
	Size     int64  // bytes
	PageSize int    // bytes, from the meta pages
	Pages    uint64 // pages in use (the high-water mark)
	TxID     uint64 // the last committed transaction
	Root     uint64 // the root page of the last transaction
	Visited  int    // pages of the tree and freelist read and checked
	Problems []string
	// Warnings are damage bbolt survives by design: one meta page torn or
	// scribbled while the other is sound. bbolt then reads the sound one
	// (at worst losing the last transaction) and rewrites the other on the
	// next commit. Refusing to start over it would turn a power cut during
	// a commit into an outage of the incident bot, when it is needed most.
	Warnings []string
	NoMeta   bool // neither meta page is valid
	// Indexes counts the Problems that are an index disagreeing with the
	// records in a file whose pages are sound: the bot starts on it, and
	// shows what the index says.
	Indexes int
	// IndexReaders say, for each index that disagrees, what the bot does
	// with it ("postmortem reminders fire from the postmortem nudge
	// index").
	IndexReaders []string
	// Uncopyable counts the index problems `incidentbot store copy`, which
	// otherwise rebuilds the indexes from the records, fails on.
	Uncopyable int
}

// Err is the report as an error: nil when no problem was found.
func (r *Report) Err() error {
	if r == nil || len(r.Problems) == 0 {
		return nil
	}
	return &DamageError{Path: r.Path, Problems: r.Problems, NoMeta: r.NoMeta}
}

// String is the report for people: what was checked, then each problem.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store %s: %d bytes", r.Path, r.Size)
	if r.PageSize > 0 {
		fmt.Fprintf(&b, ", %d pages of %d bytes in use, last transaction %d, %d pages checked", r.Pages, r.PageSize, r.TxID, r.Visited)
	}
	b.WriteString("\n")
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if len(r.Problems) == 0 {
		b.WriteString("no problems found\n")
		return b.String()
	}
	fmt.Fprintf(&b, "DAMAGED: %d problem(s):\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  - %s\n", p)
	}
	return b.String()
}

// Check examines the store file at path without changing it: the checks
// Open makes before mapping the file and, when those pass, bbolt's own
// consistency check (every page reachable exactly once, keys in order, the
// freelist sound) and, when that passes, whether the indexes agree with
// the incident records (checkIndexes). A damaged file is a Report with Problems, not an error;
// the error is for a file that cannot be checked: missing, unreadable, or
// open in a running incidentbot (ErrLocked) — waiting at most timeout.
func Check(path string, timeout time.Duration) (*Report, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("check store %s: %w", path, err)
	}
	rep, err := checkFile(path, timeout)
	if err != nil || rep == nil {
		// rep is nil for an empty file, which Open initialises.
		return &Report{Path: path}, err
	}
	if len(rep.Problems) > 0 {
		return rep, nil
	}
	if len(rep.Warnings) > 0 {
		// bbolt's check asserts that both meta pages are sound, and its
		// assertion panics on a goroutine of its own: it would crash.
		rep.Warnings = append(rep.Warnings, "bbolt's own consistency check was skipped: it needs both meta pages; run check again after the bot's next commits")
		return rep, nil
	}
	// bbolt's check runs on a goroutine of its own, out of guard's reach:
	// it is safe only because inspect found every page in bounds.
	err = guard(path, func() error {
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
		if err != nil {
			return openError(path, err)
		}
		defer db.Close()
		return db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				if len(rep.Problems) < 20 {
					rep.Problems = append(rep.Problems, err.Error())
				}
			}
			if len(rep.Problems) == 0 {
				for _, f := range checkIndexes(tx) {
					rep.Problems = append(rep.Problems, f.lines...)
					rep.Indexes += len(f.lines)
					rep.IndexReaders = append(rep.IndexReaders, f.reader)
					rep.Uncopyable += f.uncopyable
				}
			}
			return nil
		})
	})
	var derr *DamageError
	if errors.As(err, &derr) {
		rep.Problems = append(rep.Problems, derr.Problems...)
		return rep, nil
	}
	return rep, err
}

// checkFile inspects the file at path under a shared lock, so that a file
// another process is writing is reported as in use, not as damaged. A
// missing or empty file is fine: bbolt creates it. The returned report is
// nil then.
func checkFile(path string, timeout time.Duration) (*Report, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, openError(path, err)
	}
	defer f.Close()
	if err := lockShared(f, timeout); err != nil {
		return nil, openError(path, err)
	}
	defer unlock(f)
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if st.Size() == 0 {
		return nil, nil
	}
	return inspect(f, st.Size(), path), nil
}

// guard runs fn, which reads the file through bbolt's memory map, turning
// a memory fault into a DamageError. bbolt trusts the file: a page past the
// end of a truncated file is a SIGBUS, a scribbled offset a SIGSEGV, and
// both are fatal signals that recover() alone cannot catch and that print
// every goroutine's stack. SetPanicOnFault makes them a panic on this
// goroutine instead. It is the second line of defence, behind inspect's
// bounds-checked walk: it covers only this goroutine, and the process must
// not go on using a store that faulted (its map and lock stay behind).
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &DamageError{Path: path, Problems: []string{fmt.Sprintf("reading it failed: %v", r)}}
		}
	}()
	return fn()
}
