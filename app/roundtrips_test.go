package app_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// roundTrip is how long the emulator holds a call while round trips are on.
const roundTrip = 150 * time.Millisecond

// heldSlack makes the emulator hold every Web API call for a round trip on
// a clock of its own, once on, so the test counts round trips instead of
// timing them: the only timers on that clock are calls in flight.
type heldSlack struct {
	clk *clock.Fake
	on  atomic.Bool
}

func newHeldSlack() *heldSlack { return &heldSlack{clk: clock.NewFake(worldStart)} }

func (h *heldSlack) options(o *slackemu.Options) { o.Latency, o.After = roundTrip, h.after }

func (h *heldSlack) after(d time.Duration) (<-chan time.Time, func()) {
	if !h.on.Load() {
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c, func() {}
	}
	return h.clk.After(d)
}

// expectRounds turns round trips on and runs do (what a user does) in the
// background; then, for each round, it waits until the bot has exactly
// that round's calls in flight together, lets one round trip pass, and
// checks that those were the calls; at the end it turns round trips off
// and checks that the bot makes no other call. A call that waits for an
// earlier one shows up a round later; calls that ran one after another
// would never be in flight together.
func (w *world) expectRounds(t *testing.T, h *heldSlack, do func(), rounds ...callStep) {
	t.Helper()
	w.idle()
	_, w.read = w.callsSince(w.read)
	h.on.Store(true)
	done := make(chan struct{})
	go func() { defer close(done); do() }()
	for i, round := range rounds {
		n := len(round.methods)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok := h.clk.WaitForTimers(n, ctx.Done())
		cancel()
		if held := h.clk.Waiters(); !ok || held != n {
			h.on.Store(false)
			h.clk.Advance(time.Hour) // let the calls held go, so the bot can stop
			t.Fatalf("round %d: %d calls in flight together, want %d: %v", i+1, held, n, round.methods)
		}
		h.clk.Advance(roundTrip)
		var calls []slackemu.Call
		for len(calls) < n {
			if _, err := w.emu.WaitCall(w.ctx(), "", func(slackemu.Call) bool {
				calls, _ = w.callsSince(w.read)
				return len(calls) >= n
			}); err != nil {
				t.Fatalf("round %d: %v", i+1, err)
			}
		}
		if problem := matchTranscript(calls[:n], []callStep{round}); problem != "" {
			t.Fatalf("round %d: %s\ngot:\n%s", i+1, problem, describeCalls(calls))
		}
		w.read += n
	}
	h.on.Store(false)
	<-done
	w.expectCalls(t)
}

// Like a status update, a resolution, a severity change and a commander
// handoff post and edit at once, waiting only where one message must
// follow another: the next step below the final update, the handoff's
// message once the new commander is in the channel and on the card.
func TestLifecycleChangesTakeTwoRoundTripsAtMost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		text   string
		rounds func(w *world, ch string) []callStep
	}{
		{"resolve", "resolve rolled back", func(w *world, ch string) []callStep {
			return []callStep{
				anyOrder("chat.postMessage "+ch, "chat.postMessage "+w.announce, // the final update, in the channel and the thread
					"chat.update "+ch, "conversations.setTopic "+ch, "chat.update "+w.announce), // card, topic, announcement
				anyOrder("chat.postMessage " + ch), // what to do next, below the final update
			}
		}},
		{"escalation", "severity SEV1", func(w *world, ch string) []callStep {
			return []callStep{anyOrder("chat.postMessage "+ch, "chat.postMessage "+w.announce,
				"chat.update "+ch, "conversations.setTopic "+ch, "chat.update "+w.announce)}
		}},
		{"commander handoff", "role commander <@" + bob + "|bob>", func(w *world, ch string) []callStep {
			return []callStep{
				anyOrder("users.info"), // before the ack: can bob hold a role?
				anyOrder("conversations.invite "+ch, "chat.update "+ch, "conversations.setTopic "+ch,
					"chat.update "+w.announce, "chat.postMessage "+w.announce), // the thread hears at once
				anyOrder("chat.postMessage " + ch), // once bob is in and on the card
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHeldSlack()
			w := newWorld(t, h.options, nil)
			_, ch := w.lcIncident(1, "SEV2", "payments down")
			w.expectRounds(t, h, func() { ackText(t, w.slash(alice, ch.ID, tt.text)) }, tt.rounds(w, ch.ID)...)
		})
	}
}
