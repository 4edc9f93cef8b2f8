package sandbox

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
)

const (
	dan        = "UDAN00004"
	drillLabel = "🧪 DRILL"
)

// gdIdle waits until the bot has done everything the last events asked.
func (r *running) gdIdle() {
	r.t.Helper()
	if err := r.App().Bot().WaitIdle(testContext(r.t)); err != nil {
		r.t.Fatal("outbox never drained:", err)
	}
}

func (r *running) gdIncident(n uint64) *incident.Incident {
	r.t.Helper()
	var inc *incident.Incident
	if err := r.App().Store().View(func(tx store.Tx) error {
		var err error
		inc, err = tx.Incident(n)
		return err
	}); err != nil {
		r.t.Fatal(err)
	}
	return inc
}

// gdSays reports whether user posted a message holding text in channel.
func (r *running) gdSays(channel, user, text string) bool {
	return slices.ContainsFunc(r.Emulator().Messages(channel), func(m slackemu.Message) bool {
		return m.User == user && strings.Contains(m.Text+string(m.Blocks), text)
	})
}

// gdStep advances the fake clock by d and plays what fell due.
func gdStep(t *testing.T, sb *running, g *GameDay, clk *clock.Fake, d time.Duration, want int) {
	t.Helper()
	clk.Advance(d)
	n, err := g.PlayDue(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("played %d events after %s, want %d", n, d, want)
	}
	sb.gdIdle()
}

// The shipped scenario, played step by step on a fake clock, declares a
// drill and plays every event into its channel at its offset: alerts,
// messages, roles, severity, updates and the resolution.
func TestGameDayPlaysTheExampleScenarioIntoADrill(t *testing.T) {
	sb := startSandbox(t, nil)
	sc, err := LoadScenario("scenarios/db-failover.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	g := sb.GameDay(sc, clk)
	if err := g.Declare(testContext(t)); err != nil {
		t.Fatal(err)
	}
	sb.gdIdle()
	emu := sb.Emulator()
	ch, ok := emu.Channel(g.Channel())
	if !ok || ch.Name != "inc-1-drill-db-failover" {
		t.Fatalf("drill channel %+v", ch)
	}
	if inc := sb.gdIncident(1); !inc.Drill || inc.Severity != "SEV2" || inc.Holder(incident.RoleCommander) != alice {
		t.Fatalf("declared %+v", inc)
	}
	if n, err := g.PlayDue(testContext(t)); n != 0 || err != nil {
		t.Fatalf("played %d events (%v) before any was due", n, err)
	}

	gdStep(t, sb, g, clk, 10*time.Second, 1)
	if !sb.gdSays(ch.ID, AlertsUser.ID, "[FIRING] db-primary") {
		t.Fatal("the alert was not posted in the drill's channel")
	}

	gdStep(t, sb, g, clk, 50*time.Second, 3) // +1m: a message and two roles
	if !sb.gdSays(ch.ID, alice, "Bob, can you take ops?") {
		t.Fatal("alice's message is missing")
	}
	if inc := sb.gdIncident(1); inc.Holder(incident.RoleOps) != bob || inc.Holder(incident.RoleComms) != dan {
		t.Fatalf("roles %v", inc.Roles)
	}

	gdStep(t, sb, g, clk, 89*time.Second, 2) // +2m29s: the update at +2m30s is not due yet
	if inc := sb.gdIncident(1); inc.Severity != "SEV1" || inc.Status != incident.Investigating {
		t.Fatalf("at +2m29s: %s %s", inc.Severity, inc.Status)
	}
	gdStep(t, sb, g, clk, time.Second, 1)
	if inc := sb.gdIncident(1); inc.Status != incident.Identified || inc.Severity != "SEV1" {
		t.Fatalf("after the update: %s %s", inc.Severity, inc.Status)
	}
	if !sb.gdSays(ch.ID, emu.BotUserID(), "We are promoting a replica") {
		t.Fatal("the status update was not posted")
	}

	gdStep(t, sb, g, clk, 10*time.Minute, 3) // the rest, at once
	inc := sb.gdIncident(1)
	if inc.Open() || !strings.Contains(inc.Resolution, "replica-2") {
		t.Fatalf("not resolved: %+v", inc)
	}
	if _, more := g.Next(); more {
		t.Fatal("events left after the last")
	}

	// The drill was announced in #drills, with its updates in the thread,
	// and never in #announcements.
	drills, _ := emu.ChannelByName("drills")
	announce, _ := emu.ChannelByName("announcements")
	if inc.AnnounceTS == "" || !sb.gdSays(drills.ID, emu.BotUserID(), drillLabel) {
		t.Fatal("the drill was not announced in #drills")
	}
	if !slices.ContainsFunc(emu.Messages(drills.ID), func(m slackemu.Message) bool {
		return m.ThreadTS == inc.AnnounceTS && strings.Contains(m.Text+string(m.Blocks), "Writes are flowing")
	}) {
		t.Fatal("the updates did not reach the drills thread")
	}
	for _, m := range emu.Messages(announce.ID) {
		if m.User == emu.BotUserID() {
			t.Fatalf("the drill reached #announcements: %s", m.Text)
		}
	}
}

// Run waits on its clock between events: nothing is played before its
// time, and it returns after the last.
func TestGameDayRunWaitsOnItsClock(t *testing.T) {
	sb := startSandbox(t, nil)
	sc, err := ParseScenario([]byte(`{"title": "cache stampede", "declared_by": "bob", "events": [
		{"at": "+2m", "kind": "message", "user": "carol", "text": "hit rate is 3%"},
		{"at": "+1m", "kind": "alert", "channel": "general", "text": "cache hit rate low"}
	]}`), true)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	g := sb.GameDay(sc, clk)
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() { done <- g.Run(testContext(t)); close(stopped) }()
	general, _ := sb.Emulator().ChannelByName("general")

	if !clk.WaitForTimers(1, stopped) {
		t.Fatal("Run stopped before waiting:", <-done)
	}
	if sb.gdSays(general.ID, AlertsUser.ID, "cache hit rate low") {
		t.Fatal("the alert came before its time")
	}
	clk.Advance(time.Minute)
	if !clk.WaitForTimers(1, stopped) {
		t.Fatal("Run stopped after the first event:", <-done)
	}
	if !sb.gdSays(general.ID, AlertsUser.ID, "cache hit rate low") {
		t.Fatal("the alert (ordered first by its offset) was not posted in #general at +1m")
	}
	if sb.gdSays(g.Channel(), carol, "hit rate is 3%") {
		t.Fatal("carol spoke before +2m")
	}
	clk.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !sb.gdSays(g.Channel(), carol, "hit rate is 3%") {
		t.Fatal("carol's message is missing")
	}
}

// A game day that names someone the workspace lacks stops before declaring.
func TestGameDayRefusesUnknownPeopleBeforeDeclaring(t *testing.T) {
	sb := startSandbox(t, nil)
	sc, err := ParseScenario([]byte("title: x\ndeclared_by: alice\nevents:\n  - {at: +1m, kind: role, user: alice, role: ops, who: mallory}\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	err = sb.GameDay(sc, clock.NewFake(time.Now())).Declare(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"mallory"`) || !strings.Contains(err.Error(), "event 1") {
		t.Fatalf("error %v", err)
	}
	if n := len(sb.Emulator().Calls("conversations.create")); n != 0 {
		t.Fatalf("%d channels created", n)
	}
}

func TestParseScenarioErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"no title", "declared_by: alice\n", "title is empty"},
		{"no declarer", "title: x\n", "declared_by is empty"},
		{"unknown key", "title: x\ndeclared_by: alice\nseverty: SEV1\n", "severty"},
		{"bad offset", "title: x\ndeclared_by: alice\nevents: [{at: soon, kind: alert, text: t}]\n", `at "soon"`},
		{"negative offset", "title: x\ndeclared_by: alice\nevents: [{at: -1m, kind: alert, text: t}]\n", `at "-1m"`},
		{"no offset", "title: x\ndeclared_by: alice\nevents: [{kind: alert, text: t}]\n", "at is empty"},
		{"unknown kind", "title: x\ndeclared_by: alice\nevents: [{at: +1m, kind: page, text: t}]\n", `kind "page"`},
		{"role without who", "title: x\ndeclared_by: alice\nevents: [{at: +1m, kind: role, user: alice, role: ops}]\n", "needs who"},
		{"message without user", "title: x\ndeclared_by: alice\nevents: [{at: +1m, kind: message, text: hi}]\n", "needs user"},
		{"severity without level", "title: x\ndeclared_by: alice\nevents: [{at: +1m, kind: severity, user: alice}]\n", "needs severity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScenario([]byte(tt.yaml), false)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
