package app_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
)

// The slash grammar at its edges, as people type it: sub-command words in
// any case, runs of spaces and tabs, words the command does not take,
// arguments left out. Every answer is ephemeral and says what would work;
// nothing refused changes anything.
func TestSlashGrammarAtItsEdges(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	got := ackText(t, w.slash(alice, w.announce, "DECLARE  sev2 \t checkout   is\tfailing "))
	if !strings.Contains(got, "INC-1") {
		t.Fatalf("upper-case declare with extra spaces answered %q", got)
	}
	ch := w.declared(1, "checkout is failing", alice)
	if inc := w.incident(1); inc.Title != "checkout is failing" || inc.Severity != "SEV2" {
		t.Fatalf("declared %q at %s, want \"checkout is failing\" at SEV2", inc.Title, inc.Severity)
	}
	events := len(w.events(1))

	tests := []struct {
		name, channel, text string
		want                []string
	}{
		{"help in capitals with words after it", w.announce, "Help me please", []string{"/incident declare", "/incident role", "/incident list"}},
		{"only spaces", w.announce, " \t ", []string{"/incident declare", "/incident resolve"}},
		{"unknown word", w.announce, "escalate now", []string{`"escalate" is not an /incident command`, "/incident help"}},
		{"list in mixed case", w.announce, "LiSt", []string{"*INC-1*", "checkout is failing"}},
		{"list with words after it", w.announce, "list all", []string{"takes nothing after it", "`/incident list`"}},
		{"declare with a severity and no title", w.announce, "declare SEV1", []string{"give the incident a title", "/incident declare SEV1"}},
		{"declare with an unknown severity", w.announce, "declare SEV9 db down", []string{"SEV9", "SEV1, SEV2, SEV3, SEV4"}},
		{"update outside an incident channel", w.announce, "UPDATE", []string{"incident's channel"}},
		{"severity with words after it", ch.ID, "severity SEV1 now", []string{"give one severity and nothing else", "/incident severity SEV2"}},
		{"severity without one", ch.ID, "Severity   ", []string{"say which severity"}},
		{"role without a person", ch.ID, "ROLE comms", []string{"say who takes the comms role", "/incident role comms @ana"}},
		{"note without text", ch.ID, "note \t", []string{"a note needs some text"}},
		{"action without text", ch.ID, "Action", []string{"needs a description"}},
		{"update with words after it", ch.ID, "update please", []string{"takes nothing after it", "`/incident update`"}},
		{"postmortem with words after it", ch.ID, "POSTMORTEM now", []string{"takes nothing after it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ackText(t, w.slash(bob, tt.channel, tt.text))
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Fatalf("/incident %q answered %q, want it to say %q", tt.text, got, want)
				}
			}
		})
	}
	w.idle()
	if n := len(w.events(1)); n != events || len(w.emu.Calls("views.open")) != 0 || len(w.emu.Files()) != 0 {
		t.Fatalf("refused commands had an effect: %d events (was %d), %d forms, %d files", n, events, len(w.emu.Calls("views.open")), len(w.emu.Files()))
	}
	if got := w.incident(1); got.Severity != "SEV2" || got.Status != incident.Investigating || len(got.Actions) != 0 {
		t.Fatalf("INC-1 changed: %+v", got)
	}

	// The same words in any case do what they do in lower case.
	if got := ackText(t, w.slash(bob, ch.ID, "NOTE  rolled back\tthe deploy")); !strings.Contains(strings.ToLower(got), "timeline") {
		t.Fatalf("NOTE answered %q", got)
	}
	if got := ackText(t, w.slash(bob, ch.ID, "Severity sev1")); !strings.Contains(got, "SEV1") {
		t.Fatalf("Severity sev1 answered %q", got)
	}
	if got := ackText(t, w.slash(bob, ch.ID, "RESOLVE")); !strings.Contains(got, "INC-1") {
		t.Fatalf("RESOLVE answered %q", got)
	}
	w.idle()
	if got := w.incident(1); got.Severity != "SEV1" || got.Status != incident.Resolved {
		t.Fatalf("after NOTE, Severity and RESOLVE: %+v", got)
	}
}
