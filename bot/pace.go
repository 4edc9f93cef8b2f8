package bot

import (
	"sync"
	"time"
)

// Slack limits chat.postMessage twice: about one message a second per
// channel, and "several hundred messages per minute" across the workspace.
// A 429 does not say which limit refused it. One channel refused is that
// channel's limit (the transport holds the channel); two channels refused
// within one Retry-After is the workspace's, which a hold per channel does
// not stop: with thousands of posts waiting in as many channels (reminders
// falling due together), each would be sent again after every Retry-After,
// a few let through and the rest refused again, for as long as the burst
// lasts. Instead, while the workspace limit binds, posts are paced at
// postRate: a post that cannot go now is told (as a 429 answered here,
// without reaching Slack) to come back at a time of its own, one
// 1/postRate after the previous one's, so each waiting post is sent once,
// when Slack will take it.
const (
	// postRate is the workspace's chat.postMessage allowance the pacer
	// assumes: 300 a minute, the low end of Slack's "several hundred".
	postRate = 300.0 / 60
	// paceQuiet is how long after the last reservation, with no refusal,
	// the pacer stops: the burst is over.
	paceQuiet = time.Minute
	// paceBank is how many seconds' worth of posts the pacer keeps for
	// posts that come back later than told (the outbox spreads the
	// retries of a rate limit over a few more seconds; a slow job, a
	// restart): without it, a second they leave unused is lost, and
	// they are given new times at the end of the queue.
	paceBank = 10
)

// postPacer paces chat.postMessage once Slack's workspace limit was seen
// to bind. Its zero value is idle.
type postPacer struct {
	mu sync.Mutex
	// lastChannel was refused last, its hold running until lastUntil.
	lastChannel string
	lastUntil   time.Time
	// engaged: pacing, with nothing sent before until (Slack's
	// Retry-After), tokens posts allowed now (refilling at postRate, at
	// most a second's worth), and the next reservation no earlier than
	// cursor.
	engaged       bool
	until, cursor time.Time
	tokens        float64
	at            time.Time // when tokens was last refilled
}

// refused records Slack's 429 of a post to channel at now, with Slack's
// Retry-After: a second channel refused while the first one's hold runs
// means the workspace limit binds, and pacing starts (or, if it had
// started, nothing goes before the new Retry-After).
func (p *postPacer) refused(channel string, now time.Time, retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	until := now.Add(retryAfter)
	workspace := p.engaged || (channel != p.lastChannel && now.Before(p.lastUntil))
	if until.After(p.lastUntil) || channel != p.lastChannel {
		p.lastChannel, p.lastUntil = channel, until
	}
	if !workspace {
		return
	}
	if until.After(p.until) {
		// One post may go at until; the tokens refill from there.
		p.engaged, p.until, p.tokens, p.at = true, until, 1, until
		p.cursor = later(p.cursor, until)
	}
}

// admit reports how long a post at now must wait: 0 to go now. A post
// that must wait is given a time of its own (a reservation), and the
// posts given times after it come back after it.
func (p *postPacer) admit(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.engaged {
		return 0
	}
	if now.After(p.cursor.Add(paceQuiet)) && now.After(p.until.Add(paceQuiet)) {
		p.engaged, p.until, p.cursor, p.tokens, p.at = false, time.Time{}, time.Time{}, 0, time.Time{}
		return 0
	}
	if !now.Before(p.until) {
		if elapsed := now.Sub(p.at).Seconds(); elapsed > 0 {
			p.tokens = min(paceBank*postRate, p.tokens+elapsed*postRate)
			p.at = now
		}
		if p.tokens >= 1 {
			p.tokens--
			return 0
		}
	}
	slot := later(p.cursor, p.until, now)
	p.cursor = slot.Add(time.Duration(float64(time.Second) / postRate))
	// Waits are told in whole seconds (Retry-After), so a post comes back
	// at the next whole second after its slot; the tokens a second holds
	// let through the posts whose slots fell within it.
	return max(slot.Sub(now), time.Nanosecond)
}

func later(t time.Time, ts ...time.Time) time.Time {
	for _, u := range ts {
		if u.After(t) {
			t = u
		}
	}
	return t
}
