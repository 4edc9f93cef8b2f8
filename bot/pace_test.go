package bot

import (
	"testing"
	"time"
)

// A burst of posts to many channels against the workspace's limit: once two
// channels are refused within one Retry-After, every waiting post is given
// a time of its own, postRate a second, and comes back then, so Slack sees
// each post once instead of every post again after each Retry-After.
func TestPacerSpreadsPostsOnceTheWorkspaceLimitBinds(t *testing.T) {
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

	// 1,000 posts waiting at t0: each is told when to come back, in whole
	// seconds as Retry-After says it, and tries again then.
	due := map[time.Time]int{}
	for range 1000 {
		w := p.admit(t0)
		if w <= 0 {
			t.Fatal("a post went while Slack's Retry-After ran")
		}
		due[t0.Add(time.Duration((w+time.Second-1)/time.Second)*time.Second)]++
	}
	sent, retried := 0, 0
	for s := 1; sent < 1000; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		n := due[now]
		delete(due, now)
		went := 0
		for range n {
			if w := p.admit(now); w == 0 {
				went++
				continue
			}
			retried++
			due[now.Add(time.Second)]++ // not exact, but it must be rare
		}
		if went > int(postRate) {
			t.Fatalf("%d posts went in second %d, more than %v", went, s, postRate)
		}
		sent += went
		if s > 1000/int(postRate)+5 {
			t.Fatalf("after %d s only %d sent (%d retried)", s, sent, retried)
		}
	}
	if retried > 10 {
		t.Errorf("%d posts were held again after coming back at their time", retried)
	}
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
