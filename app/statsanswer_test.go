package app_test

import (
	"strings"
	"testing"
)

// Bob asks for the stats in a channel the bot is not in, so they come to
// him alone; the bot goes down while it works on them: as it shares the
// chart (Slack refuses, the bot never hears it), or as it answers him
// (Slack has the answer, the bot never heard back). Started again, it
// finishes what it was doing, and bob reads the stats once.
func TestStatsAnsweredOnceAcrossACrash(t *testing.T) {
	t.Parallel()
	for _, held := range []string{"files.completeUploadExternal", "response_url"} {
		t.Run("down during "+held, func(t *testing.T) {
			t.Parallel()
			statsCrash(t, held)
		})
	}
}

// statsCrash plays TestStatsAnsweredOnceAcrossACrash with the bot stopped
// while Slack holds its call of method.
func statsCrash(t *testing.T, method string) {
	w := newStatsWorld(t)
	random := w.emu.CreateChannel("random", false, alice, bob)

	w.crashWhileSlackHolds(method, func() { ackText(t, w.slash(bob, random, "stats 7d")) }, nil)

	var answers []string
	for _, m := range w.emu.Ephemerals(bob) {
		if strings.Contains(m.Text, "Incident statistics, last 7d") {
			answers = append(answers, m.Text)
		}
	}
	if len(answers) != 1 || !strings.Contains(answers[0], "I can't post in this channel") {
		t.Fatalf("bob was answered %d times, want once: %q", len(answers), answers)
	}
	if n := len(w.emu.Messages(random)); n != 0 {
		t.Fatalf("%d messages in the channel the bot is not in", n)
	}
}
