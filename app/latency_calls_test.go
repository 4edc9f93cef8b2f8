package app_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// callLine names a Web API call by method, where it acted (the incident's
// channel, the announce channel, the announcement's thread) and what it
// carried (the first block_id of a message), so a transcript reads as what
// the bot did.
func callLine(c slackemu.Call, incChannel, announce, announceTS string) string {
	where := ""
	switch ch, _ := c.Args["channel"].(string); {
	case ch == "":
	case ch == incChannel:
		where = " #incident"
	case ch == announce && c.Args["thread_ts"] == announceTS && announceTS != "":
		where = " #announce/thread"
	case ch == announce && c.Args["ts"] == announceTS && announceTS != "":
		where = " #announce/announcement"
	case ch == announce:
		where = " #announce"
	default:
		where = " " + ch
	}
	what := ""
	if blocks, ok := c.Args["blocks"].([]any); ok {
		for _, b := range blocks {
			if id, _ := b.(map[string]any)["block_id"].(string); id != "" {
				what = " [" + id + "]"
				break
			}
		}
	}
	if !c.OK {
		what += " -> " + c.Error
	}
	return c.Method + where + what
}

// transcript is the calls from index from on, as callLines, without the
// socket's own apps.connections.open.
func (w *world) transcript(from int, incChannel, announceTS string) []string {
	var out []string
	for _, c := range w.emu.Calls("")[from:] {
		if c.Method != "apps.connections.open" {
			out = append(out, callLine(c, incChannel, w.announce, announceTS))
		}
	}
	return out
}

func countMethods(lines []string) map[string]int {
	n := map[string]int{}
	for _, l := range lines {
		n[strings.Fields(l)[0]]++
	}
	return n
}

// The Web API calls a declaration (the one-liner, no service) and a status
// update make today, in the order the emulator answered them. BENCHMARKS.md
// ("Latency on real Slack") explains each one and what it waits for; this
// test keeps that list honest. The process's first invite also asks
// auth.test who the bot is (then cached), so the first declaration makes
// one call more than the next.
func TestCallsOfADeclarationAndAStatusUpdate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	declareCalls := map[string]int{
		"conversations.create": 1, "conversations.setTopic": 1, "conversations.setPurpose": 1,
		"conversations.invite": 1, "chat.postMessage": 3, "pins.add": 1,
	}
	firstDeclareCalls := maps.Clone(declareCalls)
	firstDeclareCalls["auth.test"] = 1
	type step struct {
		name string
		do   func() (incChannel, announceTS string)
		want map[string]int
	}
	declare := func(n uint64, title string) func() (string, string) {
		return func() (string, string) {
			ackText(t, w.slash(alice, w.announce, "declare SEV2 "+title))
			w.idle()
			inc := w.incident(n)
			return inc.ChannelID, inc.AnnounceTS
		}
	}
	for _, s := range []step{
		{"the process's first declaration", declare(1, "checkout returns 500s"), firstDeclareCalls},
		{"a declaration", declare(2, "search is slow"), declareCalls},
		{"a status update", func() (string, string) {
			inc := w.incident(2)
			w.slash(bob, inc.ChannelID, "update")
			w.lcSubmit(bob, w.lcUpdateForm(1), map[string]any{"status": "identified", "severity": "SEV2", "summary": "a bad deploy"})
			w.idle()
			return inc.ChannelID, inc.AnnounceTS
		}, map[string]int{"views.open": 1, "chat.postMessage": 2, "chat.update": 2, "conversations.setTopic": 1}},
	} {
		first := len(w.emu.Calls(""))
		ch, ts := s.do()
		lines := w.transcript(first, ch, ts)
		t.Logf("%s, %d calls:\n  %s", s.name, len(lines), strings.Join(lines, "\n  "))
		if got := countMethods(lines); !maps.Equal(got, s.want) {
			t.Errorf("%s: calls per method %v, want %v (update BENCHMARKS.md with the list)", s.name, fmtCounts(got), fmtCounts(s.want))
		}
	}
}

func fmtCounts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	b, _ := json.Marshal(parts)
	return string(b)
}
