package bot

import (
	"testing"
	"time"
)

// A burst of posts to many channels against the workspace's limit: once two
// channels are refused within one Retry-After, every waiting post is given
// a time of its own, postRate a second, and comes back then, so Slack sees
// each post once instead of every post again after each Retry-After. Posts
// that come back later than told (the outbox spreads a rate limit's
// retries over a few more seconds) still find their share kept for them.
// A burst of urgent posts (declarations by the dozen) is paced the same.
func TestPacerSpreadsPostsOnceTheWorkspaceLimitBinds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		urgent bool            // every post urgent (declarations) rather than background (reminders)
		late   func(i int) int // seconds after its time post i comes back
	}{
		{"on time", false, func(int) int { return 0 }},
		{"up to 9 s late", false, func(i int) int { return i * 7 % 10 }},
		{"urgent, on time", true, func(int) int { return 0 }},
		{"urgent, up to 9 s late", true, func(i int) int { return i * 7 % 10 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent, retried, took := paceBurst(t, &paceState{}, 1000, tc.urgent, tc.late)
			if floor := 1000 / int(postRate); took > floor+12 {
				t.Errorf("%d posts took %d s, the rate allows %d", sent, took, floor)
			}
			if retried > 20 {
				t.Errorf("%d posts were held again after coming back", retried)
			}
		})
	}
}

// pacer is what the tests drive: one process's schedule (paceState), or
// replicas' pacers sharing one (replicaPacers).
type pacer interface {
	admit(now time.Time, urgent bool) time.Duration
	refused(channel string, now time.Time, retryAfter time.Duration)
}

// paceBurst has n posts (all urgent, or all background) refused at once by
// the workspace's limit, brings each back when told (in whole seconds, as
// Retry-After says, plus late), and returns how many went, how many were
// held again, and the seconds it took.
func paceBurst(t *testing.T, p pacer, n int, urgent bool, late func(int) int) (sent, retried, took int) {
	t.Helper()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if w := p.admit(t0, false); w != 0 {
		t.Fatalf("idle pacer holds a post for %v", w)
	}
	p.refused("chat.postMessage/C1", t0, time.Second)
	if w := p.admit(t0, false); w != 0 {
		t.Fatalf("one channel refused holds the others (%v): that is the channel's own limit", w)
	}
	p.refused("chat.postMessage/C2", t0, time.Second)
	secs := func(w time.Duration) int { return int((w + time.Second - 1) / time.Second) }
	due := map[int]int{}
	for i := range n {
		w := p.admit(t0, urgent)
		if w <= 0 {
			t.Fatal("a post went while Slack's Retry-After ran")
		}
		due[secs(w)+late(i)]++
	}
	for s := 1; sent < n; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		went := 0
		for range due[s] {
			w := p.admit(now, urgent)
			if w == 0 {
				went++
				continue
			}
			retried++
			due[s+secs(w)]++
		}
		delete(due, s)
		if went > paceBank*int(postRate) {
			t.Fatalf("%d posts went in second %d, more than the %d kept", went, s, paceBank*int(postRate))
		}
		sent += went
		if s > 10*n {
			t.Fatalf("after %d s only %d sent (%d held again)", s, sent, retried)
		}
		took = s
	}
	return sent, retried, took
}

// Pacing ends once a burst is over: a minute after the last post given a
// time, with no refusal since, posts go straight to Slack again.
func TestPacerStopsAfterTheBurst(t *testing.T) {
	var p paceState
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	p.refused("chat.postMessage/C1", t0, time.Second)
	p.refused("chat.postMessage/C2", t0, time.Second)
	var last time.Duration
	for i := range 10 {
		if last = p.admit(t0, false); last <= 0 {
			t.Fatalf("post %d went during the Retry-After", i)
		}
	}
	later := t0.Add(last + paceQuiet + time.Second)
	for i := range 20 {
		if w := p.admit(later, false); w != 0 {
			t.Fatalf("post %d held %v after the burst", i, w)
		}
	}
}

// The same channel refused twice is that channel's limit: other channels
// are not held.
func TestPacerLeavesOneBusyChannelToItsHold(t *testing.T) {
	var p paceState
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		p.refused("chat.postMessage/CBUSY", t0.Add(time.Duration(i)*100*time.Millisecond), time.Second)
	}
	for i := range 10 {
		if w := p.admit(t0.Add(time.Second), false); w != 0 {
			t.Fatalf("post %d to another channel held %v", i, w)
		}
	}
}

// While a backlog of background posts is paced (reminders falling due by
// the thousand), urgent posts (a declaration's card, welcome and
// announcement; an update) go within a second of arriving instead of
// behind the backlog, which still drains at the rate: each urgent post
// pushes one background post back once, and the rate holds overall.
func TestPacerLetsUrgentPostsOvertakeTheBacklog(t *testing.T) {
	overtakeBacklog(t, &paceState{}, 1000)
}

// overtakeBacklog is TestPacerLetsUrgentPostsOvertakeTheBacklog on p, with
// a backlog of n posts.
func overtakeBacklog(t *testing.T, p pacer, n int) {
	t.Helper()
	urgentAt := map[int]int{ // second → urgent posts arriving
		30: 3,                                    // a declaration
		60: 6,                                    // two at once
		90: 2, 91: 2, 92: 2, 93: 2, 94: 2, 95: 2, // updates, one after another
	}
	urgents := 0
	for _, k := range urgentAt {
		urgents += k
	}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	p.refused("chat.postMessage/C1", t0, time.Second)
	p.refused("chat.postMessage/C2", t0, time.Second)
	secs := func(w time.Duration) int { return int((w + time.Second - 1) / time.Second) }
	due := map[int]int{}         // second → background posts coming back
	urgentDue := map[int][]int{} // second → arrival seconds of urgent posts coming back
	for range n {
		due[secs(p.admit(t0, false))]++
	}
	if w := p.admit(t0, true); w != time.Second {
		t.Fatalf("an urgent post during Slack's Retry-After told to wait %v, want the Retry-After (1s)", w)
	}
	sentAt := []int{} // second of each post sent, for the rate
	var background, retried, worst, took int
	for s := 1; background < n || s <= 95 || len(urgentDue) > 0; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		for range due[s] {
			if w := p.admit(now, false); w > 0 {
				retried++
				due[s+secs(w)]++
				continue
			}
			background++
			sentAt = append(sentAt, s)
		}
		delete(due, s)
		for range urgentAt[s] {
			urgentDue[s] = append(urgentDue[s], s)
		}
		for _, arrived := range urgentDue[s] {
			if w := p.admit(now, true); w > 0 {
				urgentDue[s+secs(w)] = append(urgentDue[s+secs(w)], arrived)
				continue
			}
			worst = max(worst, s-arrived)
			sentAt = append(sentAt, s)
		}
		delete(urgentDue, s)
		if s > 10*n {
			t.Fatalf("after %d s only %d background posts sent (%d held again)", s, background, retried)
		}
		took = s
	}
	if worst > 1 {
		t.Errorf("an urgent post waited %d s behind the backlog, want ≤ 1 s", worst)
	}
	if floor := (n + urgents) / int(postRate); took > floor+12 {
		t.Errorf("the backlog took %d s, the rate allows %d", took, floor)
	}
	if retried > urgents+20 {
		t.Errorf("background posts were told a new time %d times for %d urgent posts", retried, urgents)
	}
	// Never over the rate: in any run of seconds, no more than the rate
	// allows plus the urgent posts' debt.
	perSecond := make([]int, took+1)
	for _, s := range sentAt {
		perSecond[s]++
	}
	for from := 1; from <= took; from++ {
		total := 0
		for to := from; to <= took; to++ {
			total += perSecond[to]
			if limit := int(float64(to-from+1)*postRate + paceUrgentDebt); total > limit {
				t.Fatalf("%d posts sent in seconds %d–%d, more than the %d the rate allows", total, from, to, limit)
			}
		}
	}
}
