package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
	"github.com/incidentbot/incidentbot/store/storetest"
)

// node is a job of a test graph: its kind, the kinds of its own batch it
// waits for, and whether it carries no dependency information at all (a
// job queued by an older version: strictly FIFO). A background node is a
// reminder's (store.Job.Background); a held one has its first attempt
// answered Retry-After an hour, as Slack's workspace limit would in a
// paced burst.
type node struct {
	kind       string
	after      []string
	old        bool
	background bool
	held       bool
}

// enqueueGraph enqueues each batch in one transaction for incident n, as
// commands does: the batch's first job roots it, the others name the jobs
// they wait for. It returns every job's ID by kind.
func (h *harness) enqueueGraph(n uint64, batches ...[]node) map[string]uint64 {
	h.t.Helper()
	ids := map[string]uint64{}
	for _, batch := range batches {
		jobs := make([]storetest.GraphJob, len(batch))
		for i, nd := range batch {
			jobs[i] = storetest.GraphJob{Kind: nd.kind, After: nd.after, Old: nd.old, Background: nd.background}
		}
		err := h.store.Update(context.Background(), func(tx store.Tx) error {
			return storetest.EnqueueBatch(tx, n, ids, jobs)
		})
		if err != nil {
			h.t.Fatal(err)
		}
	}
	return ids
}

// watcher is a Performer that notes, as each job starts, which jobs are
// still pending in the store, and holds the jobs of a group until all of
// the group are in flight together (failing after a while if they never
// are).
type watcher struct {
	h        *harness
	hSet     chan struct{} // closed once h is set: a restart runs jobs at once
	mu       sync.Mutex
	pending  map[string][]uint64 // kind → pending job IDs as it started
	started  map[string]bool
	changed  chan struct{}
	together [][]string
	failed   []string
	held     map[string]bool // kinds whose first attempt is rate limited
}

func newWatcher(together [][]string) *watcher {
	return &watcher{pending: map[string][]uint64{}, started: map[string]bool{}, changed: make(chan struct{}), together: together, hSet: make(chan struct{})}
}

func (w *watcher) watch(h *harness) {
	w.h = h
	close(w.hSet)
}

func (w *watcher) Perform(ctx context.Context, j store.Job) (outbox.Apply, error) {
	<-w.hSet
	jobs, err := w.h.store.PendingJobs(0)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	for _, p := range jobs {
		if p.ID != j.ID {
			ids = append(ids, p.ID)
		}
	}
	w.mu.Lock()
	w.pending[j.Kind], w.started[j.Kind] = ids, true
	close(w.changed)
	w.changed = make(chan struct{})
	held := w.held[j.Kind] && j.Attempts == 0
	w.mu.Unlock()
	if held {
		return nil, outbox.RetryAfter(time.Hour, errors.New("ratelimited"))
	}
	for _, g := range w.together {
		if !slices.Contains(g, j.Kind) {
			continue
		}
		deadline := time.After(5 * time.Second)
		for {
			w.mu.Lock()
			all := !slices.ContainsFunc(g, func(k string) bool { return !w.started[k] })
			ch := w.changed
			w.mu.Unlock()
			if all {
				break
			}
			select {
			case <-ch:
			case <-deadline:
				w.mu.Lock()
				w.failed = append(w.failed, fmt.Sprintf("%s waited in vain for %v to be in flight with it", j.Kind, g))
				w.mu.Unlock()
				return nil, nil
			}
		}
	}
	return nil, nil
}

func TestJobsWaitForWhatTheyNameOnly(t *testing.T) {
	runDependencyCases(t, func(t *testing.T, p outbox.Performer) *harness {
		return start(t, filepath.Join(t.TempDir(), "s.db"), p, nil, nil)
	})
}

// Over PostgreSQL the worker claims what it runs, and the claim decides
// what is ready: the same graphs run the same way, a declaration's calls
// at once.
func TestJobsWaitForWhatTheyNameOnlyOverPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	runDependencyCases(t, func(t *testing.T, p outbox.Performer) *harness { return startPG(t, dsn, p) })
}

// runDependencyCases runs each graph on a worker that start returns.
func runDependencyCases(t *testing.T, start func(t *testing.T, p outbox.Performer) *harness) {
	tests := []struct {
		name    string
		batches [][]node
		// together: jobs that must all be in flight at once.
		together [][]string
		// waits: each job and the jobs that must be done before it starts.
		waits map[string][]string
		// overtakes: each job and the jobs still pending as it starts.
		overtakes map[string][]string
		// blocked: jobs that must not start (they wait for a held one).
		blocked []string
	}{
		{
			name: "a dependent job starts only once its dependency is done",
			batches: [][]node{{
				{kind: "create"}, {kind: "card", after: []string{"create"}},
				{kind: "pin", after: []string{"card"}}, {kind: "welcome", after: []string{"card"}},
				{kind: "announce", after: []string{"create"}},
			}},
			together: [][]string{{"pin", "welcome"}, {"card", "announce"}},
			waits:    map[string][]string{"card": {"create"}, "announce": {"create"}, "pin": {"create", "card"}, "welcome": {"create", "card"}},
		},
		{
			name: "independent jobs of one incident run at once",
			batches: [][]node{{
				{kind: "create"}, {kind: "topic", after: []string{"create"}}, {kind: "purpose", after: []string{"create"}},
				{kind: "invite", after: []string{"create"}},
			}},
			together: [][]string{{"topic", "purpose", "invite"}},
			waits:    map[string][]string{"topic": {"create"}, "purpose": {"create"}, "invite": {"create"}},
		},
		{
			name: "edits of one message stay in order, and never overtake its post",
			batches: [][]node{
				{{kind: "post"}},
				{{kind: "edit1"}, {kind: "topic1"}},
				{{kind: "edit2"}, {kind: "topic2"}},
			},
			together: [][]string{{"edit1", "topic1"}, {"edit2", "topic2"}},
			waits: map[string][]string{
				"edit1": {"post"}, "topic1": {"post"},
				"edit2": {"post", "edit1", "topic1"}, "topic2": {"post", "edit1", "topic1"},
			},
		},
		{
			name: "jobs without dependency information keep FIFO, around graphs too",
			batches: [][]node{
				{{kind: "a", old: true}, {kind: "b", old: true}},
				{{kind: "g1"}, {kind: "g2"}},
				{{kind: "c", old: true}},
			},
			together: [][]string{{"g1", "g2"}},
			waits: map[string][]string{
				"b": {"a"}, "g1": {"a", "b"}, "g2": {"a", "b"}, "c": {"a", "b", "g1", "g2"},
			},
		},
		{
			name: "a held reminder holds up no later job of its lane, but the next reminder",
			batches: [][]node{
				{{kind: "before"}},
				{{kind: "reminder", background: true, held: true}},
				{{kind: "post"}, {kind: "thread"}},
				{{kind: "edit"}},
				{{kind: "reminder2", background: true}},
			},
			together:  [][]string{{"post", "thread"}},
			waits:     map[string][]string{"reminder": {"before"}, "post": {"before"}, "edit": {"post", "thread"}},
			overtakes: map[string][]string{"post": {"reminder"}, "thread": {"reminder"}, "edit": {"reminder"}},
			blocked:   []string{"reminder2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wt := newWatcher(tt.together)
			wt.held = map[string]bool{}
			for _, b := range tt.batches {
				for _, nd := range b {
					wt.held[nd.kind] = nd.held
				}
			}
			h := start(t, wt)
			wt.watch(h)
			// Enqueued with the worker held back by nothing but the
			// dependencies: the worker reads each transaction whole.
			n := h.declare()
			ids := h.enqueueGraph(n, tt.batches...)
			if len(tt.blocked) == 0 {
				h.waitIdle()
			} else {
				// A held job stays pending for an hour: wait for the others.
				wt.waitStarted(t, ids, tt.blocked)
			}
			wt.mu.Lock()
			defer wt.mu.Unlock()
			for _, f := range wt.failed {
				t.Error(f)
			}
			for kind := range ids {
				if !wt.started[kind] && !slices.Contains(tt.blocked, kind) {
					t.Errorf("%s never ran", kind)
				}
			}
			for _, kind := range tt.blocked {
				if wt.started[kind] {
					t.Errorf("%s ran while the job it waits for was held", kind)
				}
			}
			for kind, deps := range tt.waits {
				for _, d := range deps {
					if slices.Contains(wt.pending[kind], ids[d]) {
						t.Errorf("%s started while %s was still pending", kind, d)
					}
				}
			}
			for kind, held := range tt.overtakes {
				for _, d := range held {
					if wt.started[kind] && !slices.Contains(wt.pending[kind], ids[d]) {
						t.Errorf("%s started only once %s was done: it should overtake it", kind, d)
					}
				}
			}
		})
	}
}

// waitStarted waits until every job of ids but those blocked has started.
func (w *watcher) waitStarted(t *testing.T, ids map[string]uint64, blocked []string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		w.mu.Lock()
		missing := ""
		for kind := range ids {
			if !w.started[kind] && !slices.Contains(blocked, kind) {
				missing = kind
			}
		}
		ch := w.changed
		w.mu.Unlock()
		if missing == "" {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s never started: it waits for a held job it need not wait for", missing)
		}
	}
}

// A crash in the middle of a graph: the jobs done stay done, the one cut
// short runs again, and what waits for it still waits until it is done.
func TestCrashMidGraphResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	cardStarted := make(chan struct{})
	first := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		if j.Kind == "card" {
			close(cardStarted)
			<-ctx.Done() // the process goes down while the card is posted
			return nil, ctx.Err()
		}
		return nil, nil
	}}
	h := start(t, path, first, nil, nil)
	n := h.declare()
	ids := h.enqueueGraph(n, []node{
		{kind: "create"}, {kind: "card", after: []string{"create"}}, {kind: "topic", after: []string{"create"}},
		{kind: "pin", after: []string{"card"}}, {kind: "welcome", after: []string{"card"}},
	})
	<-cardStarted
	h.stop()
	if got := first.list(); slices.Contains(got, "INC-1:pin") || slices.Contains(got, "INC-1:welcome") {
		t.Fatalf("before the crash ran %v: the pin and the welcome must wait for the card", got)
	}

	wt := newWatcher([][]string{{"pin", "welcome"}})
	h2 := start(t, path, wt, nil, nil)
	wt.watch(h2)
	h2.waitIdle()
	wt.mu.Lock()
	defer wt.mu.Unlock()
	for _, f := range wt.failed {
		t.Error(f)
	}
	if wt.started["create"] {
		t.Error("create ran again after the restart, though it was done")
	}
	if !wt.started["card"] || !wt.started["pin"] || !wt.started["welcome"] {
		t.Fatalf("after the restart ran %v", wt.started)
	}
	for _, k := range []string{"pin", "welcome"} {
		if slices.Contains(wt.pending[k], ids["card"]) {
			t.Errorf("%s started before the card was done", k)
		}
	}
}

// With one slot for Slack's lanes and many lanes ready at once, every job
// still runs, each lane's in order, the lanes in the order they waited:
// the worker remembers the lanes it could not start for want of a slot.
func TestLanesWaitingForASlotAllRun(t *testing.T) {
	rec := &recorder{}
	h := &harness{t: t, done: make(chan struct{})}
	enqueued := wake.New()
	h.store = openStore(t, filepath.Join(t.TempDir(), "s.db"), enqueued.Notify)
	err := h.store.Update(context.Background(), func(tx store.Tx) error {
		for range 30 {
			inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			for _, k := range []string{"a", "b"} {
				if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: k}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w := outbox.New(outbox.Options{Store: h.store, Performer: rec, Wake: enqueued, Log: zerolog.Nop(), SlackConcurrency: 1, Grace: 200 * time.Millisecond})
	h.worker = w
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { defer close(h.done); _ = w.Run(ctx) }()
	t.Cleanup(h.stop)
	h.waitIdle()
	got := rec.list()
	if len(got) != 60 {
		t.Fatalf("ran %d jobs, want 60: %v", len(got), got)
	}
	for n := 1; n <= 30; n++ {
		id := incident.FormatID(uint64(n))
		if a, b := slices.Index(got, id+":a"), slices.Index(got, id+":b"); a < 0 || b < a {
			t.Fatalf("%s ran %d then %d: %v", id, a, b, got)
		}
	}
}
