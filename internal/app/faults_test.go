package app_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// noCallBeforeRetryAfter fails if any method was called again sooner than
// the Retry-After its previous 429 asked for.
func noCallBeforeRetryAfter(t *testing.T, emu *slackemu.Server, wait time.Duration) {
	t.Helper()
	last := map[string]slackemu.Call{}
	for _, c := range emu.Calls("") {
		if prev, ok := last[c.Method]; ok && prev.Status == 429 && c.At.Sub(prev.At) < wait {
			t.Errorf("%s called %v after a 429 with Retry-After %v", c.Method, c.At.Sub(prev.At), wait)
		}
		last[c.Method] = c
	}
}

func TestSlackFaultsDelayButNeverLoseWork(t *testing.T) {
	// With one declaration its calls are sequential, so "no call before
	// Retry-After" can be checked strictly; with two, calls already in
	// flight when a 429 arrives are not a breach.
	tests := []struct {
		name         string
		fault        slackemu.Fault
		declarations uint64
	}{
		{"429 storm on every method", slackemu.Fault{Status: 429, RetryAfter: time.Second, Times: 12}, 1},
		{"5xx burst", slackemu.Fault{Status: 503, Times: 5}, 2},
		{"slow responses", slackemu.Fault{Delay: 300 * time.Millisecond, Times: 12}, 2},
		{"answers lost after the effect", slackemu.Fault{Status: 502, AfterEffect: true, Times: 5}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, nil, nil)
			w.emu.Fail("*", tt.fault)
			for i := range tt.declarations {
				w.slash(alice, w.announce, fmt.Sprintf("declare SEV2 fault %d", i))
			}
			for n := uint64(1); n <= tt.declarations; n++ {
				w.declared(n, "", alice)
			}
			if got := len(w.announcements()); got != int(tt.declarations) {
				t.Fatalf("%d announcements, want %d", got, tt.declarations)
			}
			if tt.declarations == 1 {
				noCallBeforeRetryAfter(t, w.emu, time.Second)
			}
		})
	}
}

// The websocket drops while work is in flight: the bot reconnects and
// nothing acknowledged is lost.
func TestSocketDropMidFlight(t *testing.T) {
	w := newWorld(t, nil, nil)
	w.emu.Fail("conversations.create", slackemu.Fault{Delay: 200 * time.Millisecond, Times: 1})
	w.slash(alice, w.announce, "declare SEV1 drop one")
	w.emu.DropConnections()
	if err := w.emu.WaitConnected(w.ctx()); err != nil {
		t.Fatal(err)
	}
	w.slash(alice, w.announce, "declare SEV1 drop two")
	w.declared(1, "", alice)
	w.declared(2, "", alice)
}

// After shutdown, no goroutine of the bot is left running.
func TestNoGoroutineLeakAfterShutdown(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		w := newWorld(t, nil, nil)
		w.slash(alice, w.announce, "declare SEV2 leak check")
		w.declared(1, "", alice)
		w.stop()
		w.emu.Close()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before+2 { // the http client's idle connections may linger briefly
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines before, %d after shutdown:\n%s", before, n, stacksOf(string(buf), "incidentbot"))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		<-ctx.Done() // give exiting goroutines a moment; bounded by the deadline above
		cancel()
	}
}

func stacksOf(all, pkg string) string {
	var out []string
	for _, g := range strings.Split(all, "\n\n") {
		if strings.Contains(g, pkg) {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}
