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
func TestPacerSpreadsPostsOnceTheWorkspaceLimitBinds(t *testing.T) {
	for _, tc := range []struct {
		name string
		late func(i int) int // seconds after its time post i comes back
	}{
		{"on time", func(int) int { return 0 }},
		{"up to 9 s late", func(i int) int { return i * 7 % 10 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent, retried, took := paceBurst(t, 1000, tc.late)
			if floor := 1000 / int(postRate); took > floor+12 {
				t.Errorf("%d posts took %d s, the rate allows %d", sent, took, floor)
			}
			if retried > 20 {
				t.Errorf("%d posts were held again after coming back", retried)
			}
		})
	}
}

// paceBurst has n posts refused at once by the workspace's limit, brings
// each back when told (in whole seconds, as Retry-After says, plus late),
// and returns how many went, how many were held again, and the seconds it
// took.
func paceBurst(t *testing.T, n int, late func(int) int) (sent, retried, took int) {
	t.Helper()
	var p postPacer
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if w := p.admit(t0); w != 0 {
		t.Fatalf("idle pacer holds a post for %v", w)
	}
	p.refused("chat.postMessage/C1", t0, time.Second)
	if w := p.admit(t0); w != 0 {
		t.Fatalf("one channel refused holds the others (%v): that is the channel's own limit", w)
	}
	p.refused("chat.postMessage/C2", t0, time.Second)
	secs := func(w time.Duration) int { return int((w + time.Second - 1) / time.Second) }
	due := map[int]int{}
	for i := range n {
		w := p.admit(t0)
		if w <= 0 {
			t.Fatal("a post went while Slack's Retry-After ran")
		}
		due[secs(w)+late(i)]++
	}
	for s := 1; sent < n; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		went := 0
		for range due[s] {
			w := p.admit(now)
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
	var p postPacer
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	p.refused("chat.postMessage/C1", t0, time.Second)
	p.refused("chat.postMessage/C2", t0, time.Second)
	var last time.Duration
	for i := range 10 {
		if last = p.admit(t0); last <= 0 {
			t.Fatalf("post %d went during the Retry-After", i)
		}
	}
	later := t0.Add(last + paceQuiet + time.Second)
	for i := range 20 {
		if w := p.admit(later); w != 0 {
			t.Fatalf("post %d held %v after the burst", i, w)
		}
	}
}

// The same channel refused twice is that channel's limit: other channels
// are not held.
func TestPacerLeavesOneBusyChannelToItsHold(t *testing.T) {
	var p postPacer
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		p.refused("chat.postMessage/CBUSY", t0.Add(time.Duration(i)*100*time.Millisecond), time.Second)
	}
	for i := range 10 {
		if w := p.admit(t0.Add(time.Second)); w != 0 {
			t.Fatalf("post %d to another channel held %v", i, w)
		}
	}
}
