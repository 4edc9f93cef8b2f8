package app_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// A transcript reads the emulator's call feed as "user does X → the bot
// calls A, B, C": expectCalls lets the bot finish what it was asked, then
// checks every Slack call it made since the last expectCalls against the
// steps, and fails on a call missing, extra or out of order.

// callStep is one step of a transcript: one call, or a set of calls in any
// order. A call is named by its method, or by "method channel" where the
// channel matters (calls from different incidents' queues, or from an envelope's
// follow-up running beside the outbox, interleave freely).
type callStep struct {
	methods []string
	ordered bool
}

// anyOrder is a step of calls made in no particular order; a method may
// appear more than once.
func anyOrder(methods ...string) callStep { return callStep{methods: methods} }

// notInTranscript are calls the socket makes on its own schedule, not in
// answer to anyone: asking for a socket URL.
var notInTranscript = []string{"apps.connections.open"}

// callsSince returns the calls the bot made from index from of the feed
// on, but those notInTranscript, and the index to read from next.
func (w *world) callsSince(from int) ([]slackemu.Call, int) {
	all := w.emu.Calls("")
	var out []slackemu.Call
	for _, c := range all[min(from, len(all)):] {
		if !slices.Contains(notInTranscript, c.Method) {
			out = append(out, c)
		}
	}
	return out, len(all)
}

// skipCalls marks every call so far as read: the next expectCalls starts
// here.
func (w *world) skipCalls() {
	w.t.Helper()
	w.idle()
	_, w.read = w.callsSince(w.read)
}

// expectCalls waits until the bot is idle and checks that its Slack calls
// since the last expectCalls (or skipCalls, or the world's start) are
// exactly steps: each a method name (one call, in this place) or an
// anyOrder set. It returns the calls, for a test to look at their
// arguments.
func (w *world) expectCalls(t *testing.T, steps ...any) []slackemu.Call {
	t.Helper()
	w.idle()
	calls, next := w.callsSince(w.read)
	w.read = next
	var want []callStep
	for _, s := range steps {
		switch s := s.(type) {
		case string:
			want = append(want, callStep{methods: []string{s}, ordered: true})
		case callStep:
			want = append(want, s)
		default:
			t.Fatalf("expectCalls: step %v is neither a method nor anyOrder", s)
		}
	}
	if problem := matchTranscript(calls, want); problem != "" {
		t.Fatalf("Slack calls: %s\nwant: %s\ngot:\n%s", problem, describeSteps(want), describeCalls(calls))
	}
	return calls
}

// matchTranscript says how calls differ from want ("" when they match).
func matchTranscript(calls []slackemu.Call, want []callStep) string {
	i := 0
	for _, step := range want {
		n := len(step.methods)
		if i+n > len(calls) {
			return fmt.Sprintf("missing %v after call %d", step.methods, i)
		}
		got := make([]string, n)
		for k, c := range calls[i : i+n] {
			got[k] = c.Method
			if strings.Contains(step.methods[0], " ") {
				got[k] = fmt.Sprintf("%s %v", c.Method, c.Args["channel"])
			}
		}
		if !sameCalls(got, step.methods, step.ordered) {
			return fmt.Sprintf("calls %d..%d are %v, want %v", i+1, i+n, got, step.methods)
		}
		i += n
	}
	if i < len(calls) {
		return fmt.Sprintf("unexpected calls from call %d on", i+1)
	}
	return ""
}

func sameCalls(got, want []string, ordered bool) bool {
	if !ordered {
		got, want = slices.Clone(got), slices.Clone(want)
		slices.Sort(got)
		slices.Sort(want)
	}
	return slices.Equal(got, want)
}

func describeSteps(steps []callStep) string {
	var out []string
	for _, s := range steps {
		if s.ordered {
			out = append(out, s.methods...)
		} else {
			out = append(out, "{"+strings.Join(s.methods, " ")+"}")
		}
	}
	return strings.Join(out, " → ")
}

func describeCalls(calls []slackemu.Call) string {
	var b strings.Builder
	for i, c := range calls {
		fmt.Fprintf(&b, "  %2d %s", i+1, c.Method)
		if ch, ok := c.Args["channel"]; ok {
			fmt.Fprintf(&b, " channel=%v", ch)
		}
		if !c.OK {
			fmt.Fprintf(&b, " → %d %s", c.Status, c.Error)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestTranscriptMatching(t *testing.T) {
	t.Parallel()
	calls := func(methods ...string) []slackemu.Call {
		var out []slackemu.Call
		for _, m := range methods {
			out = append(out, slackemu.Call{Method: m, Args: map[string]any{"channel": "C1"}})
		}
		return out
	}
	one := func(m string) callStep { return callStep{methods: []string{m}, ordered: true} }
	tests := []struct {
		name  string
		calls []slackemu.Call
		want  []callStep
		ok    bool
	}{
		{"in order", calls("a", "b"), []callStep{one("a"), one("b")}, true},
		{"out of order", calls("b", "a"), []callStep{one("a"), one("b")}, false},
		{"a set in any order", calls("b", "a", "c"), []callStep{anyOrder("a", "b"), one("c")}, true},
		{"a set is a multiset", calls("a", "a"), []callStep{anyOrder("a", "b")}, false},
		{"an unexpected call", calls("a", "b"), []callStep{one("a")}, false},
		{"a missing call", calls("a"), []callStep{one("a"), one("b")}, false},
		{"the channel, when named", calls("a"), []callStep{one("a C1")}, true},
		{"another channel", calls("a"), []callStep{one("a C2")}, false},
		{"nothing, as expected", nil, nil, true},
	}
	for _, tt := range tests {
		if got := matchTranscript(tt.calls, tt.want) == ""; got != tt.ok {
			t.Errorf("%s: matched %v, want %v", tt.name, got, tt.ok)
		}
	}
}
