package bot

import (
	"context"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// replicaPacers are the pacers of replicas that share one PostgreSQL
// database (each with its own store handle), taking posts and refusals in
// turn, as the outbox spreads a burst's jobs over the replicas.
type replicaPacers struct {
	pacers []*postPacer
	next   int
}

func newReplicaPacers(t *testing.T, replicas int) *replicaPacers {
	t.Helper()
	dsn := pgtest.DSN(t)
	r := &replicaPacers{}
	for range replicas {
		st, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		r.pacers = append(r.pacers, &postPacer{shared: st})
	}
	return r
}

func (r *replicaPacers) turn() *postPacer {
	p := r.pacers[r.next%len(r.pacers)]
	r.next++
	return p
}

func (r *replicaPacers) admit(now time.Time, urgent bool) time.Duration {
	return r.turn().admit(context.Background(), now, urgent)
}

func (r *replicaPacers) refused(channel string, now time.Time, retryAfter time.Duration) {
	r.turn().refused(context.Background(), channel, now, retryAfter)
}

// Three replicas pace one workspace's posts: Slack refuses two of them
// posts to two channels, and each replica's posts are then given times on
// one schedule, at the workspace's rate in all, each post told a time of
// its own, as one process's pacer does. Alone, each replica would learn
// of the limit only from its own refusals and hand out the whole rate.
func TestReplicasPacePostsOnOneSchedule(t *testing.T) {
	for _, tc := range []struct {
		name   string
		urgent bool
		late   func(i int) int
	}{
		{"background", false, func(int) int { return 0 }},
		{"background up to 9 s late", false, func(i int) int { return i * 7 % 10 }},
		{"urgent", true, func(int) int { return 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 300
			sent, retried, took := paceBurst(t, newReplicaPacers(t, 3), n, tc.urgent, tc.late)
			if floor := n / int(postRate); took > floor+12 {
				t.Errorf("%d posts took %d s, the rate allows %d", sent, took, floor)
			}
			if retried > 20 {
				t.Errorf("%d posts were held again after coming back", retried)
			}
		})
	}
}

// Urgent posts on any replica go ahead of the backlog all replicas pace,
// borrowing from one allowance: the rate holds across replicas.
func TestReplicasLetUrgentPostsOvertakeOneBacklog(t *testing.T) {
	overtakeBacklog(t, newReplicaPacers(t, 3), 500)
}

// A database that is away does not stop the posts, nor the pacing: the
// replica paces on its own schedule, from the refusals it has seen, and
// a post is answered within the look-up's bound.
func TestPacerPacesAloneWhileTheDatabaseIsAway(t *testing.T) {
	db := pgtest.Private(t)
	st, err := pgstore.Open(context.Background(), db.DSN("postgres"), pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := &postPacer{shared: st}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	if w := p.admit(ctx, t0, false); w != 0 {
		t.Fatalf("idle pacer holds a post for %v", w)
	}
	if err := db.Stop(); err != nil {
		t.Fatal(err)
	}
	p.refused(ctx, "chat.postMessage/C1", t0, time.Second)
	p.refused(ctx, "chat.postMessage/C2", t0, time.Second)
	began := time.Now()
	if w := p.admit(ctx, t0, false); w <= 0 {
		t.Fatalf("with the database away, a post went during Slack's Retry-After (told %v)", w)
	}
	if took := time.Since(began); took > 2*sharedHoldTimeout {
		t.Fatalf("with the database away, a post waited %v for its answer", took)
	}
}
