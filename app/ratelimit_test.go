package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// Eighty incidents declared at once, against Slack's real tier limits:
// conversations.create, setTopic, setPurpose and pins.add allow 20 calls a
// minute, so the bot spends minutes being told to wait (the clock is fake:
// it jumps to each wake-up). Every declaration still completes, with no
// extra calls: a 429 means Slack did nothing, so a retry neither counts as
// a failed attempt nor looks for a message it might have posted.
func TestBurstOfDeclarationsUnderSlackRateLimits(t *testing.T) {
	t.Parallel() // self-contained and slow: it overlaps the others
	const n = 80
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	w := newWorldOnClock(t, clk, func(o *slackemu.Options) { o.RateLimits = true }, nil)
	begin := clk.Now()

	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			text := fmt.Sprintf("declare SEV3 burst %d", i)
			if _, err := w.emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: alice, ChannelID: w.announce, Command: "/incident", Text: text}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	w.idleWithin(2 * time.Minute)
	took := clk.Now().Sub(begin)

	for i := uint64(1); i <= n; i++ {
		w.declared(i, "", alice)
		inc := w.incident(i)
		if inc.AnnounceTS == "" {
			t.Fatalf("%s was never announced", inc.ID())
		}
		for _, ev := range w.events(i) {
			if ev.Kind == incident.EventDeliveryFailed {
				t.Fatalf("%s: %s", inc.ID(), ev.Text)
			}
		}
	}
	if got := len(w.announcements()); got != n {
		t.Fatalf("%d announcements, want %d", got, n)
	}

	calls, refused := 0, 0
	perMethod := map[string]int{}
	announceChecked := false
	for _, c := range w.emu.Calls("") {
		switch {
		case c.Method == "apps.connections.open":
		case c.Method == "conversations.info" && !announceChecked:
			announceChecked = true // start-up: the announce channel's check, once
		case c.Status == 429:
			refused++
		default:
			calls++
			perMethod[c.Method]++
		}
	}
	// Eight calls make a declaration (create, topic, purpose, invite, card,
	// pin, welcome, announcement), plus one auth.test for the bot's own ID.
	if calls > 8*n+1 {
		t.Errorf("%d Slack calls for %d declarations (%.2f each), want at most 8 each: %v", calls, n, float64(calls)/n, perMethod)
	}
	if perMethod["conversations.history"] > 0 {
		t.Errorf("%d history look-ups: a retry after a 429 looked for a post Slack never made", perMethod["conversations.history"])
	}
	floor := w.emu.RateFloor("conversations.create", n)
	t.Logf("%d declarations: %d calls (%.2f each) and %d refused with 429; all done after %v of Slack time, tier floor %v (%.2fx)",
		n, calls, float64(calls)/n, refused, took, floor, took.Seconds()/floor.Seconds())
	if took > floor+floor/4 {
		t.Errorf("took %v, more than 1.25x the tier floor %v", took, floor)
	}
	// The jobs one limit refused come back spread over the next
	// Retry-After, not all at its end: the first back takes the limit's
	// next slot and its refusal holds the rest here. All at once, the
	// burst was refused 1,500–1,700 times (20 per declaration); spread,
	// 90–150 times.
	if refused > 4*n {
		t.Errorf("%d calls refused with 429 for %d declarations: the retries of one limit come back together", refused, n)
	}
}

// The card is posted, then pinning it is refused with a 429. The retry
// must only pin: the card's ts is kept with the retry, and a refused call
// is no reason to search the channel.
func TestRateLimitedPinDoesNotPostASecondCard(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	w := newWorldOnClock(t, clk, nil, nil)
	w.emu.Fail("pins.add", slackemu.Fault{Status: 429, RetryAfter: 2 * time.Second, Times: 3})
	w.slash(alice, w.announce, "declare SEV3 pins are busy")
	w.idle()

	ch := w.declared(1, "", alice)
	cards := 0
	for _, m := range w.emu.Messages(ch.ID) {
		if strings.Contains(blocksText(m.Blocks), `"action_id":"role:commander"`) {
			cards++
		}
	}
	if cards != 1 {
		t.Fatalf("%d summary cards after a rate-limited pin", cards)
	}
	if n := len(w.emu.Calls("pins.add")); n != 4 {
		t.Fatalf("%d pins.add calls, want 3 refused and 1 done", n)
	}
	if n := len(w.emu.Calls("conversations.history")); n != 0 {
		t.Fatalf("%d history look-ups after 429s", n)
	}
}
