package pgstore_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
	"github.com/incidentbot/incidentbot/store/storetest"
)

// node is a job of a test graph: its kind, the kinds of its own batch it
// waits for, and whether it carries no dependency information at all (a
// job queued by an older version: strictly FIFO).
type node struct {
	kind  string
	after []string
	old   bool
}

// enqueueGraph enqueues each batch in one transaction for incident n, as
// commands does (the batch's first job roots it, the others name the jobs
// they wait for), and returns every job's ID by kind.
func enqueueGraph(t *testing.T, s *pgstore.Store, n uint64, ids map[string]uint64, batches ...[]node) {
	t.Helper()
	for _, batch := range batches {
		jobs := make([]storetest.GraphJob, len(batch))
		for i, nd := range batch {
			jobs[i] = storetest.GraphJob{Kind: nd.kind, After: nd.after, Old: nd.old}
		}
		update(t, s, func(tx store.Tx) error {
			return storetest.EnqueueBatch(tx, n, ids, jobs)
		})

	}
}

func kinds(jobs []store.Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.Kind
	}
	slices.Sort(out)
	return out
}

// Two replicas claim a declaration's jobs from one outbox, then an update
// enqueued while the declaration runs, then a job with no dependency
// information. Each claim hands out every job whose dependencies are done,
// whichever replica ran them: the channel's calls and the announcement
// together once the channel exists, the pin and the welcome only once the
// card is posted, the update's edits only once every job of the
// declaration is done, and the old-style job only after all of those.
// Replica b dies holding the card's post: a takes it over once the lease
// has run out, told it may be done, and the pin still waits for it.
func TestClaimsFollowTheJobGraph(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn, pgstore.Options{}), open(t, dsn, pgstore.Options{})
	inc := declare(t, a, "graph")
	ids := map[string]uint64{}
	enqueueGraph(t, a, inc.Number, ids, []node{
		{kind: "create"},
		{kind: "topic", after: []string{"create"}}, {kind: "invite", after: []string{"create"}},
		{kind: "card", after: []string{"create"}}, {kind: "announce", after: []string{"create"}},
		{kind: "pin", after: []string{"card"}}, {kind: "welcome", after: []string{"card"}},
	}, []node{
		{kind: "edit-card"}, {kind: "edit-announce"}, {kind: "set-topic"},
	}, []node{
		{kind: "old", old: true},
	})
	steps := []struct {
		done   []string // completed before the claim
		by     *pgstore.Store
		owner  string
		at     time.Duration // after t0
		claims []string
		why    string
	}{
		{by: a, owner: "a", claims: []string{"create"}, why: "the channel comes first"},
		{by: b, owner: "b", claims: nil, why: "everything else waits for the channel"},
		{done: []string{"create"}, by: b, owner: "b", claims: []string{"announce", "card", "invite", "topic"},
			why: "once the channel exists its calls and the announcement run at once"},
		{done: []string{"topic", "announce", "invite"}, by: a, owner: "a", at: lease - time.Nanosecond, claims: nil,
			why: "the pin and the welcome wait for the card's post, still in flight (b's lease holds); the update waits for the declaration"},
		{by: a, owner: "a", at: lease, claims: []string{"card"}, why: "b died: its lease on the card ran out"},
		{by: a, owner: "a", at: lease, claims: nil, why: "the pin waits for the card's post taken over"},
		{done: []string{"card"}, by: a, owner: "a", at: lease, claims: []string{"pin", "welcome"}, why: "the card is posted"},
		{done: []string{"pin"}, by: b, owner: "b", at: lease, claims: nil, why: "an edit never overtakes a job an earlier transaction enqueued"},
		{done: []string{"welcome"}, by: b, owner: "b", at: lease, claims: []string{"edit-announce", "edit-card", "set-topic"},
			why: "the update's edits run at once once the declaration is done"},
		{done: []string{"edit-card", "set-topic"}, by: a, owner: "a", at: lease, claims: nil, why: "a job with no dependencies waits for every earlier one"},
		{done: []string{"edit-announce"}, by: a, owner: "a", at: lease, claims: []string{"old"}, why: "now it heads its lane"},
	}
	for i, st := range steps {
		for _, k := range st.done {
			update(t, st.by, func(tx store.Tx) error { return tx.CompleteJob(ids[k]) })
		}
		jobs := claim(t, st.by, st.owner, t0.Add(st.at))
		if got := kinds(jobs); !slices.Equal(got, st.claims) {
			t.Fatalf("step %d: after %v done, %s claimed %v at +%s, want %v: %s", i+1, st.done, st.owner, got, st.at, st.claims, st.why)
		}
		for _, j := range jobs {
			if took := j.Kind == "card" && st.owner == "a"; j.MaybeDone != took {
				t.Errorf("step %d: %s claimed with MaybeDone %v, want %v (a takeover looks before it acts)", i+1, j.Kind, j.MaybeDone, took)
			}
		}
	}
}

// The claim hands out exactly the jobs that store.Job.Ready lets start, the
// rule the worker applies over bbolt, over random graphs of several
// incidents and lanes (jobs of no incident too) worked through in a random
// order: the query gathers the rule's inputs right.
func TestClaimsHandOutWhatTheRuleLetsStart(t *testing.T) {
	dsn := pgtest.DSN(t)
	s := open(t, dsn, pgstore.Options{})
	rng := rand.New(rand.NewPCG(17, 14))
	var incs []uint64
	for i := range 3 {
		incs = append(incs, declare(t, s, fmt.Sprintf("inc %d", i)).Number)
	}
	incs = append(incs, 0) // jobs of no incident: a lane each
	lanes := []string{"", "", "webhook https://a"}
	for range 12 {
		n := incs[rng.IntN(len(incs))]
		lane := lanes[rng.IntN(len(lanes))]
		old, bg := rng.IntN(4) == 0, rng.IntN(3) == 0 // bg: a reminder's batch
		update(t, s, func(tx store.Tx) error {
			var batch []uint64
			for k := range 1 + rng.IntN(5) {
				j := store.Job{Incident: n, Kind: fmt.Sprintf("k%d", k), Lane: lane, Background: bg}
				if !old && len(batch) > 0 {
					j.Batch = batch[0]
					for _, id := range batch {
						if rng.IntN(2) == 0 {
							j.After = append(j.After, id)
						}
					}
				}
				j, err := tx.Enqueue(j)
				if err != nil {
					return err
				}
				batch = append(batch, j.ID)
			}
			return nil
		})
	}
	now := t0
	for round := 0; ; round++ {
		pending, err := s.PendingJobs(0)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			break
		}
		// A claim by a new owner after every earlier lease ran out sees
		// every pending job as unclaimed.
		now = now.Add(2 * lease)
		got := ids(claim(t, s, fmt.Sprintf("r%d", round), now))
		if want := readyByTheRule(pending); !slices.Equal(got, want) {
			t.Fatalf("round %d: claimed %v, want %v of pending:\n%s", round, got, want, describe(pending))
		}
		if len(got) == 0 {
			t.Fatalf("round %d: nothing ready of pending:\n%s", round, describe(pending))
		}
		done := got[rng.IntN(len(got))]
		update(t, s, func(tx store.Tx) error { return tx.CompleteJob(done) })
	}
}

// readyByTheRule is what the worker over bbolt would start of pending.
func readyByTheRule(pending []store.Job) []uint64 {
	in := map[uint64]bool{}
	lane := func(j store.Job) string {
		if j.Incident == 0 {
			return fmt.Sprintf("job %d", j.ID)
		}
		return fmt.Sprintf("%d/%s", j.Incident, j.Lane)
	}
	for _, j := range pending { // in ID order
		in[j.ID] = true
	}
	var ready []uint64
	for _, j := range pending {
		first := j.ID
		for _, o := range pending {
			if lane(o) == lane(j) && j.Holds(o) {
				first = min(first, o.ID)
			}
		}
		if j.Ready(first, func(id uint64) bool { return in[id] }) {
			ready = append(ready, j.ID)
		}
	}
	return ready
}

func describe(jobs []store.Job) string {
	var b strings.Builder
	for _, j := range jobs {
		fmt.Fprintf(&b, "  %d inc %d lane %q batch %d after %v background %t\n", j.ID, j.Incident, j.Lane, j.Batch, j.After, j.Background)
	}
	return b.String()
}

// A claim reads the candidates a page at a time: a ready job behind more
// waiting jobs than one page holds is still found, in the same claim.
func TestAClaimLooksPastALongLane(t *testing.T) {
	dsn := pgtest.DSN(t)
	s := open(t, dsn, pgstore.Options{})
	long, other := declare(t, s, "long"), declare(t, s, "other")
	var head uint64
	update(t, s, func(tx store.Tx) error {
		for i := range 100 {
			j, err := tx.Enqueue(store.Job{Incident: long.Number, Kind: "fifo"})
			if i == 0 {
				head = j.ID
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	last := enqueue(t, s, other.Number, time.Time{})
	if got, err := s.ClaimJobs(t.Context(), "a", t0, lease, 1); err != nil || !slices.Equal(ids(got), []uint64{head}) {
		t.Fatalf("a claimed %v, %v; want the long lane's head %d", ids(got), err, head)
	}
	if got, err := s.ClaimJobs(t.Context(), "b", t0, lease, 1); err != nil || !slices.Equal(ids(got), []uint64{last}) {
		t.Fatalf("b claimed %v, %v; want %d, behind 99 jobs waiting for the head", ids(got), err, last)
	}
}
