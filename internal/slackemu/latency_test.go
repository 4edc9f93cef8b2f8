package slackemu

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/clock"
)

// onLatencyClock starts an emulator whose round trips last latency (+ up to
// jitter) on a hand-driven clock.
func onLatencyClock(t *testing.T, latency, jitter time.Duration) (*Server, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	emu := Start(t, func(o *Options) {
		o.Now, o.After = clk.Now, clk.After
		o.Latency, o.LatencyJitter = latency, jitter
	})
	return emu, clk
}

// postHeld starts a chat.postMessage and returns once the emulator holds it
// on the clock; the channel receives the call's error when it returns.
func postHeld(t *testing.T, emu *Server, clk *clock.Fake, channel, text string) <-chan error {
	t.Helper()
	ctx := testCtx(t)
	done := make(chan error, 1)
	go func() {
		_, _, err := apiClient(emu).PostMessageContext(ctx, channel, slack.MsgOptionText(text, false))
		done <- err
	}()
	if !clk.WaitForTimers(1, ctx.Done()) {
		t.Fatal("the call was never held for its round trip")
	}
	return done
}

// A call with Latency is neither recorded nor acted on, nor answered, until
// its round trip has passed on the clock; then all three happen together,
// and the call is dated when it arrived.
func TestLatencyHoldsACallForItsRoundTrip(t *testing.T) {
	emu, clk := onLatencyClock(t, 150*time.Millisecond, 0)
	arrived := clk.Now()
	ch := emu.CreateChannel("inc-1-db", false, emu.BotUserID())
	done := postHeld(t, emu, clk, ch, "db down")

	clk.Advance(150*time.Millisecond - time.Nanosecond)
	if clk.Waiters() != 1 || len(emu.Calls("chat.postMessage")) != 0 || len(emu.Messages(ch)) != 0 {
		t.Fatalf("after 149.999 ms: %d held, %d calls, %d messages; want the call still in flight",
			clk.Waiters(), len(emu.Calls("chat.postMessage")), len(emu.Messages(ch)))
	}
	clk.Advance(time.Nanosecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	calls := emu.Calls("chat.postMessage")
	if len(calls) != 1 || !calls[0].OK || !calls[0].At.Equal(arrived) || len(emu.Messages(ch)) != 1 {
		t.Fatalf("after 150 ms: calls %+v, %d messages", calls, len(emu.Messages(ch)))
	}
}

// Every Web API method pays the round trip, the socket's own
// apps.connections.open and auth.test included.
func TestLatencyAppliesToEveryMethod(t *testing.T) {
	emu, clk := onLatencyClock(t, 100*time.Millisecond, 0)
	ctx := testCtx(t)
	for _, call := range []func() error{
		func() error { _, err := apiClient(emu).AuthTestContext(ctx); return err },
		func() error {
			_, err := apiClient(emu).CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "inc-2-api"})
			return err
		},
		func() error { _, _, err := apiClient(emu).StartSocketModeContext(ctx); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- call() }()
		if !clk.WaitForTimers(1, ctx.Done()) {
			t.Fatalf("call %d was never held", len(emu.Calls("")))
		}
		clk.Advance(100 * time.Millisecond)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := len(emu.Calls("")); got != 3 {
		t.Fatalf("%d calls recorded, want 3", got)
	}
}

// With jitter, each round trip lasts between Latency and Latency+Jitter,
// and they are not all the same.
func TestLatencyJitterStaysWithinItsBounds(t *testing.T) {
	const latency, jitter, step = 100 * time.Millisecond, 50 * time.Millisecond, time.Millisecond
	emu, clk := onLatencyClock(t, latency, jitter)
	ch := emu.CreateChannel("inc-3-jitter", false, emu.BotUserID())
	lasted := map[time.Duration]int{}
	for i := range 20 {
		done := postHeld(t, emu, clk, ch, "tick")
		clk.Advance(latency - time.Nanosecond)
		if clk.Waiters() != 1 {
			t.Fatalf("call %d answered before its latency", i)
		}
		d := latency - time.Nanosecond
		for clk.Waiters() > 0 {
			if d >= latency+jitter {
				t.Fatalf("call %d still held after %v", i, d)
			}
			clk.Advance(step)
			d += step
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		lasted[d.Round(step)]++
	}
	if len(lasted) < 2 {
		t.Fatalf("20 round trips all lasted the same: %v", lasted)
	}
}

// A caller that gives up does not hold the server until the round trip
// ends.
func TestLatencyEndsWhenTheCallerGivesUp(t *testing.T) {
	emu, clk := onLatencyClock(t, time.Hour, 0)
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() { _, err := apiClient(emu).AuthTestContext(ctx); done <- err }()
	if !clk.WaitForTimers(1, testCtx(t).Done()) {
		t.Fatal("the call was never held")
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled call succeeded")
	}
	// The server notices the closed connection, stops waiting and answers
	// into the void; the call is recorded then, an hour early.
	if _, err := emu.WaitCall(testCtx(t), "auth.test", nil); err != nil {
		t.Fatal(err)
	}
	if clk.Waiters() != 0 {
		t.Fatal("the round trip's timer outlived its call")
	}
}

// With the default (real) timers, a round trip takes at least Latency of
// wall time: the lower bound the end-to-end benchmarks rely on.
func BenchmarkLatencyRoundTrip150ms(b *testing.B) {
	const latency = 150 * time.Millisecond
	emu := Start(b, func(o *Options) { o.Latency, o.Logf = latency, func(string, ...any) {} })
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()))
	for b.Loop() {
		start := time.Now()
		if _, err := api.AuthTestContext(context.Background()); err != nil {
			b.Fatal(err)
		}
		if took := time.Since(start); took < latency {
			b.Fatalf("a round trip took %v, less than the latency %v", took, latency)
		}
	}
}
