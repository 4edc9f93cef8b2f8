package bot

import (
	"context"
	"net/http"
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
//
// Posts come in two kinds. Background posts (reminders, stats: nobody is
// watching for them) take their place in that queue. Urgent posts (a
// declaration, an update, an answer to a command: someone is waiting to
// see them) go ahead of it: a burst of reminders takes half an hour of
// Slack's allowance, and a new incident's announcement must not wait for
// it. An urgent post takes the next token, borrowing up to paceUrgentDebt
// of them ahead; the background posts whose tokens it took find none when
// they come back, and are told a new time at the end of the queue. The
// borrowed tokens are paid back before any background post goes again, so
// the rate holds overall, and each urgent post delays at most one
// background post once: background goes on at what urgent posts leave.
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
	// paceUrgentDebt is how many tokens urgent posts may borrow ahead of
	// the refill: a second's worth, a declaration's posts (card, welcome,
	// announcement) and an update's at once.
	paceUrgentDebt = postRate
)

// postPacer paces chat.postMessage once Slack's workspace limit was seen
// to bind. Its zero value is idle and keeps the schedule in memory: one
// process sends all the workspace's posts. With shared set (replicas on a
// store they share), the schedule is kept there instead, one for all of
// them: each replica's pacer otherwise learns the limit from its own
// refusals and hands out the workspace's whole allowance on its own, so
// that together they send several times what Slack takes, and each
// replica's urgent posts borrow their own debt.
type postPacer struct {
	mu    sync.Mutex
	local paceState
	// shared, when set, keeps the schedule for every replica; local is
	// then used only while the store does not answer (see admit).
	shared SharedPace
}

// refused records Slack's 429 of a post to channel at now (see
// paceState.refused), in the shared schedule when there is one. It is
// recorded in this replica's own schedule too, which takes over while the
// store does not answer.
func (p *postPacer) refused(ctx context.Context, channel string, now time.Time, retryAfter time.Duration) {
	p.mu.Lock()
	p.local.refused(channel, now, retryAfter)
	p.mu.Unlock()
	if p.shared == nil {
		return
	}
	// The request's context may end with the response; the refusal must
	// still be written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedHoldTimeout)
	defer cancel()
	_ = p.shared.PaceSlack(ctx, paceKey, func(raw []byte) ([]byte, error) {
		s := decodePace(raw)
		s.refused(channel, now, retryAfter)
		return encodePace(s)
	})
}

// admit reports how long a post at now must wait: 0 to go now (see
// paceState.admit). With a shared schedule, a read without a lock says
// whether pacing is on at all (most of the time it is not, and a post
// then costs no lock); only while it is on are posts admitted one at a
// time under the lock. A store that does not answer within
// sharedHoldTimeout does not stop the posts: this replica's own schedule
// paces them, from the refusals it has seen, until the store is back.
func (p *postPacer) admit(ctx context.Context, now time.Time, urgent bool) time.Duration {
	if p.shared != nil {
		if wait, err := p.admitShared(ctx, now, urgent); err == nil {
			return wait
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.local.admit(now, urgent)
}

func (p *postPacer) admitShared(ctx context.Context, now time.Time, urgent bool) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, sharedHoldTimeout)
	defer cancel()
	raw, err := p.shared.SlackPace(ctx, paceKey)
	if err != nil || !decodePace(raw).engaged {
		return 0, err
	}
	var wait time.Duration
	err = p.shared.PaceSlack(ctx, paceKey, func(raw []byte) ([]byte, error) {
		s := decodePace(raw)
		wait = s.admit(now, urgent)
		return encodePace(s)
	})
	return wait, err
}

// paceState is the pacer's schedule. Its zero value is idle.
type paceState struct {
	// lastChannel was refused last, its hold running until lastUntil.
	lastChannel string
	lastUntil   time.Time
	// engaged: pacing, with nothing sent before until (Slack's
	// Retry-After), tokens posts allowed now (refilling at postRate, at
	// most paceBank seconds' worth; below zero while urgent posts owe
	// them), and the next reservation no earlier than cursor (background)
	// or urgent (urgent posts).
	engaged       bool
	until, cursor time.Time
	urgent        time.Time
	tokens        float64
	at            time.Time // when tokens was last refilled
}

// refused records Slack's 429 of a post to channel at now, with Slack's
// Retry-After: a second channel refused while the first one's hold runs
// means the workspace limit binds, and pacing starts (or, if it had
// started, nothing goes before the new Retry-After).
func (p *paceState) refused(channel string, now time.Time, retryAfter time.Duration) {
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
// posts given times after it come back after it. An urgent post goes
// ahead of the background ones (see paceUrgentDebt).
func (p *paceState) admit(now time.Time, urgent bool) time.Duration {
	if !p.engaged {
		return 0
	}
	last := later(p.cursor, p.until, p.urgent)
	if now.After(last.Add(paceQuiet)) {
		p.engaged, p.until, p.cursor, p.urgent, p.tokens, p.at = false, time.Time{}, time.Time{}, time.Time{}, 0, time.Time{}
		return 0
	}
	step := time.Duration(float64(time.Second) / postRate)
	if !now.Before(p.until) {
		if elapsed := now.Sub(p.at).Seconds(); elapsed > 0 {
			p.tokens = min(paceBank*postRate, p.tokens+elapsed*postRate)
			p.at = now
		}
		floor := 1.0
		if urgent {
			floor = 1 - paceUrgentDebt
		}
		if p.tokens >= floor {
			p.tokens--
			return 0
		}
		if urgent {
			// Come back once the debt allows one more, after the
			// urgent posts told before.
			short := time.Duration((floor - p.tokens) / postRate * float64(time.Second))
			slot := later(p.urgent, now.Add(short))
			p.urgent = slot.Add(step)
			return max(slot.Sub(now), time.Nanosecond)
		}
	} else if urgent {
		// The token at the end of Slack's Retry-After and the debt let
		// that many urgent posts go together then (a declaration's);
		// the next ones at the rate after them.
		slot := later(p.urgent, p.until.Add(-time.Duration(paceUrgentDebt)*step))
		p.urgent = slot.Add(step)
		return later(slot, p.until).Sub(now)
	}
	slot := later(p.cursor, p.until, now)
	p.cursor = slot.Add(step)
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

// backgroundPostKey is the context key of withBackgroundPosts.
type backgroundPostKey struct{}

// withBackgroundPosts marks the posts ctx will carry as background work,
// which the pacer lets urgent posts overtake. Posts are urgent unless
// marked: an answer nobody marked must not wait behind a burst.
func withBackgroundPosts(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundPostKey{}, true)
}

// urgentPost reports whether req is an urgent post (withBackgroundPosts).
func urgentPost(req *http.Request) bool {
	background, _ := req.Context().Value(backgroundPostKey{}).(bool)
	return !background
}
