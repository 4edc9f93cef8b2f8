package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// ErrLocked is wrapped by Open when another process holds the store file. Its
// text completes the sentence "store FILE is …".
var ErrLocked = errors.New("in use by another process (is incidentbot already running?)")

// ErrNewerSchema is wrapped by Open when the file was written by a newer
// incidentbot whose schema this binary does not know.
var ErrNewerSchema = errors.New("from a newer incidentbot")

// Defaults for Options fields left zero.
const (
	DefaultTimeout         = 2 * time.Second
	DefaultInitialMmapSize = 64 << 20
)

// Options tunes Open. The zero value is ready to use.
type Options struct {
	// Timeout is how long Open waits for the file lock before failing with
	// ErrLocked; default DefaultTimeout. Open never waits forever.
	Timeout time.Duration
	// InitialMmapSize is mapped up front so that a long read transaction
	// does not stall writers while the file grows; default
	// DefaultInitialMmapSize.
	InitialMmapSize int
	// NoSync skips fsync on commit. A crash may then lose or corrupt data:
	// for benchmarks only.
	NoSync bool
	// MaxBatchDelay is how long Update waits to group commits; 0 keeps
	// bbolt's default (10ms).
	MaxBatchDelay time.Duration
	// OnEnqueue is called after a commit that enqueued outbox jobs,
	// outside any transaction, so the outbox worker can wake up. It runs
	// on the committing goroutine: keep it quick and non-blocking (a
	// non-blocking send on a buffered channel). It is never called for a
	// transaction that rolled back.
	OnEnqueue func()
	// OnSchedule is OnEnqueue for the scheduler: called, on the same
	// terms, after a commit that changed what falls due when (a reminder
	// set or cleared, a resolution entered for a postmortem nudge or an
	// auto-archive).
	OnSchedule func()
	// Now is the clock used for default timestamps; default time.Now.
	Now func() time.Time
	// OnWriteFailure is called once, on the committing goroutine and
	// before that Update returns, when a commit fails to write (see
	// WriteError). The process should stop: see Update.
	OnWriteFailure func(error)
	// OpenFile opens the store file in place of os.OpenFile. Tests use it
	// to make the disk fail on demand; leave it nil.
	OpenFile func(name string, flag int, perm os.FileMode) (*os.File, error)
	// IndexArchives enters every resolution into archive_due, for
	// auto-archive; off (incidents.archive_after 0), nothing is indexed,
	// so incidents resolved meanwhile are never archived.
	IndexArchives bool
	// OnIncident, when set, hears of every incident a committed
	// transaction created (before is nil) or changed, in the order the
	// transaction stored them: metrics follow what is durable, never a
	// rolled-back attempt. It runs on the committing goroutine and must be
	// quick; it must not change the incidents.
	OnIncident func(before, after *incident.Incident)
	// OnUnreadable hears, once per process, of each entry of the reminder
	// schedule or the postmortem-nudge or archive index, and each incident
	// record, that cannot be read and that the store skips where it reads
	// many (the schedule, the open incidents, the incidents since a time),
	// for the operator's log. It may run inside a transaction: keep it
	// quick.
	OnUnreadable func(error)
}

// Store persists incidents, their timelines, the outbox and the indexes in
// one bbolt file. Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	now  func() time.Time
	// enqueued and scheduled run OnEnqueue and OnSchedule after commit.
	enqueued, scheduled wakeHook
	onFailure           func(error)
	// warnings are what the check before mapping found and bbolt survives
	// (see Report.Warnings), for the operator's log.
	warnings []string

	// failed is the first WriteError; once set, Update refuses to commit.
	failed atomic.Pointer[WriteError]
	// indexArchives is Options.IndexArchives.
	indexArchives bool
	onIncident    func(before, after *incident.Incident)
	// headlines is the latest OpenHeadlines answer of a read transaction.
	headlines atomic.Pointer[headlineRead]
	// unreadable reports, once each, the schedule entries and incident
	// records skipped.
	unreadable *unreadableKeys
}

// wakeHook runs fn once after each write transaction that armed it.
type wakeHook struct {
	fn func()
	// mu guards tx, the last write transaction that registered fn, so a
	// batch of grouped Updates wakes the listener once per commit rather
	// than once per function. Keeping the pointer is cheap: bbolt drops a
	// finished transaction's pages when it closes.
	mu sync.Mutex
	tx *bolt.Tx
}

// Open opens the store file at path, creating it with mode 0600 if needed,
// and migrates it to the current schema. It fails within opts.Timeout with an
// error wrapping ErrLocked when another process has the file open, and with
// an error wrapping ErrNewerSchema when the file comes from a newer version.
func Open(path string, opts Options) (*Store, error) {
	return open(path, opts, migrations)
}

func open(path string, opts Options, migs []migration) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: no file path given; set the store path")
	}
	opts = opts.withDefaults()
	if err := checkPath(path); err != nil {
		return nil, err
	}
	// bbolt maps the file and trusts it; check it with plain reads first.
	rep, err := checkFile(path, opts.Timeout)
	if err != nil {
		return nil, err
	}
	if err := rep.Err(); err != nil {
		return nil, err
	}
	var db *bolt.DB
	err = guard(path, func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{
			Timeout:         opts.Timeout,
			InitialMmapSize: opts.InitialMmapSize,
			NoSync:          opts.NoSync,
			OpenFile:        opts.OpenFile,
		})
		if err != nil {
			return openError(path, err)
		}
		if err := db.Update(func(tx *bolt.Tx) error { return migrate(tx, migs) }); err != nil {
			_ = db.Close()
			return fmt.Errorf("open store %s: %w", path, err)
		}
		return nil
	})
	if err != nil {
		if db != nil {
			_ = db.Close() // after a fault in the migration; closing twice is harmless
		}
		return nil, err
	}
	if opts.MaxBatchDelay > 0 {
		db.MaxBatchDelay = opts.MaxBatchDelay
	}
	var warnings []string
	if rep != nil {
		warnings = rep.Warnings
	}
	return &Store{db: db, path: path, now: opts.Now, enqueued: wakeHook{fn: opts.OnEnqueue}, scheduled: wakeHook{fn: opts.OnSchedule}, onFailure: opts.OnWriteFailure, warnings: warnings, indexArchives: opts.IndexArchives, onIncident: opts.OnIncident, unreadable: &unreadableKeys{fn: opts.OnUnreadable}}, nil
}

// Warnings are damage found at Open that bbolt survives by design (one
// torn meta page); the caller logs them so the operator can look.
func (s *Store) Warnings() []string { return s.warnings }

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.InitialMmapSize <= 0 {
		o.InitialMmapSize = DefaultInitialMmapSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// checkPath turns the usual configuration mistakes into messages that say
// what to do, before bbolt reports them as bare syscall errors.
func checkPath(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("open store %s: directory %s does not exist; create it or choose another path", path, dir)
	case err != nil:
		return fmt.Errorf("open store %s: %w", path, err)
	case !st.IsDir():
		return fmt.Errorf("open store %s: %s is not a directory; choose another path", path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("open store %s: it is a directory; give the path of a file inside it", path)
	}
	return nil
}

func openError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout), errors.Is(err, ErrLocked):
		return fmt.Errorf("store %s is %w", path, ErrLocked)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("open store %s: permission denied; check the owner and mode of the file and its directory: %w", path, err)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return fmt.Errorf("open store %s: not an incidentbot store, or corrupt (%w); choose another path or restore a backup", path, err)
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

// Close releases the file. Closing twice is harmless.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Update runs fn in a read-write transaction and commits it if fn returns nil;
// if fn returns an error nothing it did is kept and that error is returned.
//
// Concurrent Updates are grouped into one commit (bbolt's DB.Batch), which is
// what keeps many simultaneous commands fast. The price: fn may run more than
// once, because when one function of a group fails the others are run again.
// So fn must have no side effects outside tx — no channel sends, counters or
// network calls; values it assigns into its caller's variables are only
// meaningful once Update has returned nil. Never start another transaction
// (Update or View) inside fn.
//
// ctx is checked before fn runs; once fn has run, the commit is not aborted.
//
// When a commit fails to write, Update returns a *WriteError, calls
// OnWriteFailure, and from then on refuses every Update with that error
// without touching the file. Retrying is unsafe: after a failed write or
// fsync the kernel may have dropped the dirty pages and cleared the error,
// so what is on disk is unknown and a later "successful" fsync proves
// nothing (PostgreSQL's fsync lesson, 2018). Only a restart, which reads
// the file afresh, knows what was kept.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if werr := s.failed.Load(); werr != nil {
		return werr
	}
	err := s.db.Batch(func(btx *bolt.Tx) (err error) {
		// bbolt turns a panic into an error too, but one that would look
		// like a failed commit.
		defer func() {
			if r := recover(); r != nil {
				err = fnError{fmt.Errorf("panic: %v", r)}
			}
		}()
		if err := ctx.Err(); err != nil {
			return fnError{err}
		}
		if err := fn(&boltTx{btx: btx, s: s}); err != nil {
			return fnError{err}
		}
		return nil
	})
	var fe fnError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return fe.err
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	// Not fn's error, so it came from beginning or committing the
	// transaction: growing, writing or syncing the file.
	werr := &WriteError{Path: s.path, Err: err}
	if s.failed.CompareAndSwap(nil, werr) && s.onFailure != nil {
		s.onFailure(werr)
	}
	return s.failed.Load()
}

// fnError marks an error returned by Update's function (or its context),
// telling it apart from an error of bbolt's commit.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// WriteFailure is the error that stopped the store from writing, or nil.
func (s *Store) WriteFailure() error {
	if werr := s.failed.Load(); werr != nil {
		return werr
	}
	return nil
}

// View runs fn in a read-only transaction. Values returned by Tx methods are
// copies and stay valid after View returns. Never start another transaction
// inside fn.
func (s *Store) View(fn func(tx store.Tx) error) error {
	return s.view(func(tx *boltTx) error { return fn(tx) })
}

// view is View for the store's own reads, which need the bbolt buckets.
func (s *Store) view(fn func(tx *boltTx) error) error {
	return s.db.View(func(btx *bolt.Tx) error {
		return fn(&boltTx{btx: btx, s: s})
	})
}

// arm arranges for the hook to run once after btx commits.
func (h *wakeHook) arm(btx *bolt.Tx) {
	if h.fn == nil {
		return
	}
	h.mu.Lock()
	registered := h.tx == btx
	h.tx = btx
	h.mu.Unlock()
	if !registered {
		btx.OnCommit(h.fn)
	}
}

// incidentChanged arranges for OnIncident to hear of the change once btx
// commits. after is copied now: the caller may go on changing its value.
func (s *Store) incidentChanged(btx *bolt.Tx, before, after *incident.Incident) {
	if s.onIncident == nil {
		return
	}
	cp := *after
	btx.OnCommit(func() { s.onIncident(before, &cp) })
}
