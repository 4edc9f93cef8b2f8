package app_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
)

// statsWorld runs the bot on a fake clock starting at start; only SEV1
// reminds (every 30 minutes), and the postmortem nudge is off, so nothing
// fires behind the test's back.
type statsWorld struct {
	*world
	clk   *clock.Fake
	start time.Time
	opens int // views.open calls so far: lcUpdateForm counts them
}

func newStatsWorld(t *testing.T) *statsWorld {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	w := newWorldOnClock(t, clk, nil, func(c *config.Config) {
		c.HTTP.Listen = "127.0.0.1:0"
		c.Incidents.PostmortemReminder = 0
		c.Incidents.Severities = []config.Severity{
			{Name: "SEV1", Description: "Critical", Reminder: 30 * time.Minute},
			{Name: "SEV2", Description: "Major"},
			{Name: "SEV3", Description: "Minor"},
			{Name: "SEV4", Description: "Low"},
		}
	})
	return &statsWorld{world: w, clk: clk, start: start}
}

// at moves the clock to start+d.
func (w *statsWorld) at(d time.Duration) {
	w.t.Helper()
	if d < w.clk.Now().Sub(w.start) {
		w.t.Fatalf("the clock cannot go back to %s", d)
	}
	w.clk.Advance(w.start.Add(d).Sub(w.clk.Now()))
}

// update posts a status update in ch through the form.
func (w *statsWorld) update(ch, sev, summary, next string) {
	w.t.Helper()
	ackText(w.t, w.slash(alice, ch, "update"))
	w.opens++
	values := map[string]any{"status": "identified", "severity": sev, "summary": summary}
	if next != "" {
		values["next_update"] = next
	}
	w.lcSubmit(alice, w.lcUpdateForm(w.opens), values)
	w.idle()
}

// run types /incident text in ch and waits for what follows.
func (w *statsWorld) run(ch, text string) string {
	w.t.Helper()
	got := ackText(w.t, w.slash(alice, ch, text))
	w.idle()
	return got
}

// declarePrivate declares INC-n as a private SEV2 through the form.
func (w *statsWorld) declarePrivate(n uint64, title string) slackemu.Channel {
	w.t.Helper()
	if ack := w.slash(alice, w.announce, "declare"); ackText(w.t, ack) != "" {
		w.t.Fatalf("declare replied %s instead of opening the form", ack.Payload)
	}
	w.opens++
	v := w.nthView(w.opens, "incident_declare")
	if _, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": title, "severity": "SEV2", "summary": "do not share", "commander": alice, "private": []string{"private"},
	}); err != nil {
		w.t.Fatal(err)
	}
	return w.declared(n, "", alice)
}

// nthView returns the view the k-th views.open call opened, once it has.
func (w *statsWorld) nthView(k int, callbackID string) slackemu.View {
	w.t.Helper()
	seen := 0
	call, err := w.emu.WaitCall(w.ctx(), "views.open", func(slackemu.Call) bool { seen++; return seen == k })
	if err != nil || !call.OK {
		w.t.Fatalf("views.open #%d: %+v %v", k, call, err)
	}
	for _, v := range w.emu.Views() {
		if v.TriggerID == call.Args["trigger_id"] && v.CallbackID == callbackID {
			return v
		}
	}
	w.t.Fatalf("views.open #%d did not open %s", k, callbackID)
	return slackemu.View{}
}

// drill stores INC-n as the drill flow would: a resolved practice
// incident, which statistics and metrics leave out.
func (w *statsWorld) drill(n uint64, title string) {
	w.t.Helper()
	now := w.clk.Now()
	err := w.app.Store().Update(w.ctx(), func(tx store.Tx) error {
		inc := &incident.Incident{Title: title, Severity: "SEV1", Status: incident.Investigating, Drill: true, DeclaredBy: alice, StartedAt: now, DeclaredAt: now}
		if err := tx.CreateIncident(inc); err != nil {
			return err
		}
		if inc.Number != n {
			w.t.Errorf("drill is %s, want INC-%d", inc.ID(), n)
		}
		if _, err := tx.AppendEvent(inc.Number, incident.Event{At: now, Kind: incident.EventDeclared}); err != nil {
			return err
		}
		if err := inc.SetStatus(incident.Resolved, now.Add(5*time.Minute)); err != nil {
			return err
		}
		inc.LastUpdateAt = inc.ResolvedAt
		return tx.PutIncident(inc)
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// Fourteen incidents over five weeks — two before the 30-day window, a
// drill, a private one, two still open — then `/incident stats`: the
// message, the chart and /metrics agree with the numbers worked out by
// hand below.
func TestStatsEndToEnd(t *testing.T) {
	t.Parallel() // self-contained and slow: it overlaps the others
	w := newStatsWorld(t)
	const day = 24 * time.Hour
	m := time.Minute

	// Before the window (Jan 5 and 7).
	w.at(0)
	_, ch := w.lcIncident(1, "SEV2", "db slow")
	w.at(15 * m)
	w.update(ch.ID, "SEV2", "replica lag", "")
	w.at(time.Hour)
	w.run(ch.ID, "resolve")
	w.at(2 * day)
	_, ch = w.lcIncident(2, "SEV3", "queue lag")
	w.at(2*day + 2*time.Hour)
	w.run(ch.ID, "resolve") // no update: the resolution is the first

	// The window: Jan 10 09:00 to Feb 9 09:00.
	w.at(6 * day)
	_, ch = w.lcIncident(3, "SEV1", "checkout down")
	w.at(6*day + 31*m)
	w.remReminder(ch.ID, 1) // quiet for 30 minutes
	w.at(6*day + 40*m)
	w.update(ch.ID, "SEV1", "bad deploy", "4h")
	w.at(6*day + 3*time.Hour)
	w.run(ch.ID, "resolve rolled back")
	w.run(ch.ID, "postmortem")

	w.at(8 * day)
	priv := w.declarePrivate(4, "payroll export leaks")
	w.at(8*day + 10*m)
	w.update(priv.ID, "SEV2", "export stopped", "")
	w.at(8*day + time.Hour)
	w.run(priv.ID, "resolve")

	w.at(9 * day)
	_, ch = w.lcIncident(5, "SEV3", "search flaky")
	w.at(9*day + 20*m)
	w.update(ch.ID, "SEV3", "one node sick", "")
	w.run(ch.ID, "action replace the node pool")
	w.at(9*day + 5*time.Hour)
	w.run(ch.ID, "resolve")

	w.at(13 * day)
	_, ch = w.lcIncident(6, "SEV2", "api errors")
	w.at(13*day + 5*m)
	w.update(ch.ID, "SEV2", "bad config", "")
	w.at(13*day + 30*m)
	w.run(ch.ID, "resolve")

	w.at(15 * day)
	_, ch = w.lcIncident(7, "SEV4", "typo on the status page")
	w.at(15*day + 10*m)
	w.run(ch.ID, "resolve")

	w.at(16 * day)
	w.drill(8, "practice: checkout down")

	w.at(20 * day)
	_, ch = w.lcIncident(9, "SEV2", "checkout latency")
	w.at(20*day + 30*m)
	w.update(ch.ID, "SEV2", "cache cold", "")
	w.at(20*day + 2*time.Hour)
	w.run(ch.ID, "resolve")
	w.run(ch.ID, "postmortem")

	w.at(22 * day)
	_, ch = w.lcIncident(10, "SEV3", "cache misses")
	w.at(22*day + time.Hour)
	w.update(ch.ID, "SEV3", "eviction storm", "")
	w.at(22*day + 6*time.Hour)
	w.run(ch.ID, "resolve")

	w.at(27 * day)
	_, ch = w.lcIncident(11, "SEV1", "login fails")
	w.at(27*day + 10*m)
	w.update(ch.ID, "SEV1", "idp down", "2h")
	w.at(27*day + time.Hour)
	w.run(ch.ID, "resolve")

	w.at(30 * day)
	_, ch = w.lcIncident(12, "SEV2", "webhooks delayed")
	w.at(30*day + 15*m)
	w.update(ch.ID, "SEV2", "backlog draining", "30m") // then silence: overdue

	w.at(33 * day)
	w.lcIncident(13, "SEV3", "disk filling")

	w.at(34 * day)
	_, ch = w.lcIncident(14, "SEV4", "slow emails")
	w.at(34*day + 20*m)
	w.update(ch.ID, "SEV4", "provider slow", "")
	w.at(34*day + 40*m)
	w.run(ch.ID, "resolve")

	w.at(35 * day)
	if got := w.run(w.announce, "stats"); !strings.Contains(got, "Working on the stats for the last 30d") {
		t.Fatalf("stats replied %q", got)
	}

	// The chart: a real PNG of both charts.
	var file *slackemu.File
	for _, f := range w.emu.Files() {
		if f.Name == "incident-stats-30d.png" {
			file = &f
		}
	}
	if file == nil || len(file.Channels) != 1 || file.Channels[0] != w.announce {
		t.Fatalf("no chart shared in the announcements channel: %+v", w.emu.Files())
	}
	img, err := png.Decode(bytes.NewReader(file.Content))
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 400 || len(file.Content) < 10_000 {
		t.Errorf("chart %v, %d bytes: too small to show anything", b, len(file.Content))
	}

	// The message. Counted: INC-3..7 and 9..14 (11); before: INC-1, 2.
	// First updates: 40m 10m 20m 5m 10m(resolution) 30m 1h 10m 15m 20m →
	// median 17m 30s, p90 40m. Resolutions: 3h 1h 5h 30m 10m 2h 6h 1h 40m →
	// median 1h, p90 6h. Before: 15m and 2h → 1h 7m; 1h and 2h → 1h 30m.
	var msg *slackemu.Message
	for _, mm := range w.emu.Messages(w.announce) {
		if len(mm.Files) == 1 && mm.Files[0].ID == file.ID {
			msg = &mm
		}
	}
	if msg == nil {
		t.Fatal("no message carries the chart")
	}
	t.Logf("stats message:\n%s", msg.Text)
	for _, want := range []string{
		"Incident statistics, last 30d",
		"*11 incidents* (▲ 9 from 2), 1 of them private (counted, not named) · 2 still open · 9 resolved",
		"By severity: SEV1 2 · SEV2 4 · SEV3 3 · SEV4 2",
		"(MTTA): median 17m 30s, p90 40m over 10; before: 1h 7m (▼ faster)",
		"(MTTR): median 1h 0m, p90 6h 0m over 9; before: 1h 30m (▼ faster)",
		"1 action item recorded · postmortems drafted for 2 of 9 resolved",
		// Jan 11 to Feb 8, 10 gaps; Feb 8 is a day before the request.
		"(no service): last 1d 0h 0m ago, one every 2d 19h 12m on average",
	} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("stats message lacks %q:\n%s", want, msg.Text)
		}
	}
	for _, secret := range []string{"payroll", "practice", "checkout down", "INC-"} {
		if strings.Contains(msg.Text, secret) {
			t.Errorf("stats message names an incident (%q):\n%s", secret, msg.Text)
		}
	}

	// Asked where the bot is not: only the asker sees it, without a chart.
	random := w.emu.CreateChannel("random", false, alice, bob)
	w.slash(bob, random, "stats 7d")
	w.idle()
	var private string
	for _, e := range w.emu.Ephemerals(bob) {
		if strings.Contains(e.Text, "Incident statistics, last 7d") {
			private = e.Text
		}
	}
	if !strings.Contains(private, "I can't post in this channel") || len(w.emu.Messages(random)) != 0 {
		t.Errorf("stats where the bot is not: ephemeral %q, %d messages in the channel", private, len(w.emu.Messages(random)))
	}

	// /metrics: severities only; the drill left out.
	_, body := w.opsGet("/metrics", "")
	for _, want := range []string{
		`incidentbot_incidents_declared_total{severity="SEV1"} 2`,
		`incidentbot_incidents_declared_total{severity="SEV2"} 5`,
		`incidentbot_incidents_declared_total{severity="SEV3"} 4`,
		`incidentbot_incidents_declared_total{severity="SEV4"} 2`,
		`incidentbot_incidents_resolved_total{severity="SEV1"} 2`,
		`incidentbot_incidents_resolved_total{severity="SEV2"} 4`,
		`incidentbot_incidents_resolved_total{severity="SEV3"} 3`,
		`incidentbot_incidents_resolved_total{severity="SEV4"} 2`,
		`incidentbot_incidents_open{severity="SEV1"} 0`,
		`incidentbot_incidents_open{severity="SEV2"} 1`,
		`incidentbot_incidents_open{severity="SEV3"} 1`,
		`incidentbot_status_updates_overdue{severity="SEV2"} 1`,
		`incidentbot_status_updates_overdue{severity="SEV3"} 0`,
		`incidentbot_status_update_reminders_total{severity="SEV1"} 1`,
		`incidentbot_postmortems_drafted_total{severity="SEV1"} 1`,
		`incidentbot_postmortems_drafted_total{severity="SEV2"} 1`,
		`incidentbot_incident_time_to_resolve_seconds_count{severity="SEV3"} 3`,
		`incidentbot_incident_time_to_resolve_seconds_sum{severity="SEV3"} 46800`, // 2h + 5h + 6h
		`incidentbot_incident_time_to_first_update_seconds_count{severity="SEV2"} 5`,
		`incidentbot_incident_time_to_first_update_seconds_sum{severity="SEV2"} 4500`, // 15m + 10m + 5m + 30m + 15m
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, secret := range []string{"payroll", "checkout", alice, priv.ID} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}
}

// Slack shares the chart but its answer is lost: the retry finds the file
// in the channel and shares nothing twice.
func TestStatsChartSharedOnceWhenTheAnswerIsLost(t *testing.T) {
	t.Parallel()
	w := newStatsWorld(t)
	_, ch := w.lcIncident(1, "SEV2", "db slow")
	w.at(time.Hour)
	w.run(ch.ID, "resolve")
	before := w.clk.Waiters()

	w.emu.Fail("files.completeUploadExternal", slackemu.Fault{Status: 502, AfterEffect: true, Times: 1})
	w.slash(alice, w.announce, "stats 7d")
	if _, err := w.emu.WaitCall(w.ctx(), "files.completeUploadExternal", nil); err != nil {
		t.Fatal(err)
	}
	// The outbox waits on the clock before trying again.
	done := make(chan struct{})
	defer close(done)
	w.clk.WaitForTimers(before+1, done)
	w.clk.Advance(10 * time.Minute)
	w.idle()

	shared := 0
	for _, f := range w.emu.Files() {
		if f.Name == "incident-stats-7d.png" {
			shared++
		}
	}
	msgs := 0
	for _, m := range w.emu.Messages(w.announce) {
		if strings.Contains(m.Text, "Incident statistics, last 7d") {
			msgs++
		}
	}
	if shared != 1 || msgs != 1 || len(w.emu.Calls("files.completeUploadExternal")) != 1 {
		t.Errorf("%d charts and %d messages shared, %d completions; want one of each", shared, msgs, len(w.emu.Calls("files.completeUploadExternal")))
	}
	if len(w.emu.Calls("conversations.history")) == 0 {
		t.Error("the retry did not look for the file it may have shared")
	}
}
