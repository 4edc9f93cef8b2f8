package commands_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

const lcChannel = "CLIFE01"

// lcDeclare declares a public incident at sev, gives it lcChannel as its
// channel (as the outbox would), and returns it with the number of jobs
// the declaration left pending.
func lcDeclare(t *testing.T, s *commands.Service, sev string, private bool) (*incident.Incident, int) {
	t.Helper()
	res, err := s.Declare(context.Background(), commands.DeclareInput{Title: "db down", Severity: sev, DeclaredBy: "UDECL", Private: private})
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	err = s.Store.Update(context.Background(), func(tx store.Tx) error {
		cur, err := tx.Incident(inc.Number)
		if err != nil {
			return err
		}
		cur.ChannelID, cur.AnnounceTS = lcChannel, "1.000001"
		inc = cur
		return tx.PutIncident(cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	return inc, len(jobKinds(t, s.Store))
}

// lcState is everything a use-case may change, for before/after checks.
type lcState struct {
	inc      *incident.Incident
	events   []incident.Event
	jobs     []string
	reminder time.Time
	hasRem   bool
}

func lcSnapshot(t *testing.T, s *commands.Service, n uint64) lcState {
	t.Helper()
	var st lcState
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		if st.inc, err = tx.Incident(n); err != nil {
			return err
		}
		if st.events, err = tx.Events(n); err != nil {
			return err
		}
		st.reminder, st.hasRem, err = tx.Reminder(n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st.jobs = jobKinds(t, s.Store)
	return st
}

func (a lcState) same(b lcState) bool {
	return fmt.Sprintf("%+v", *a.inc) == fmt.Sprintf("%+v", *b.inc) && len(a.events) == len(b.events) &&
		slices.Equal(a.jobs, b.jobs) && a.reminder.Equal(b.reminder) && a.hasRem == b.hasRem
}

func lcKinds(evs []incident.Event) []incident.EventKind {
	var out []incident.EventKind
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

func TestPostUpdateRecordsTimelineStateReminderAndJobsInOneGo(t *testing.T) {
	s := newService(t)
	now := s.Clock.Now()
	inc, before := lcDeclare(t, s, "SEV2", false)
	err := s.Store.Update(context.Background(), func(tx store.Tx) error {
		cur, _ := tx.Incident(inc.Number)
		cur.MissedUpdates = 3
		return tx.PutIncident(cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.PostUpdate(context.Background(), commands.UpdateInput{
		Incident: "INC-1", Status: "identified", Severity: "sev1", Summary: " bad deploy found ",
		NextSteps: "roll back", By: "UBOB", IdempotencyKey: "view-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	st := lcSnapshot(t, s, inc.Number)
	got := st.inc
	if got.Status != incident.Identified || got.Severity != "SEV1" || !got.LastUpdateAt.Equal(now) || got.MissedUpdates != 0 {
		t.Fatalf("incident %+v", got)
	}
	if want := now.Add(15 * time.Minute); !got.NextUpdateAt.Equal(want) || !st.hasRem || !st.reminder.Equal(want) {
		t.Fatalf("next update %v, reminder %v %v; want both at %v (SEV1's interval)", got.NextUpdateAt, st.reminder, st.hasRem, want)
	}
	kinds := lcKinds(st.events)
	want := []incident.EventKind{incident.EventDeclared, incident.EventRoleAssigned, incident.EventSeverityChanged, incident.EventStatusChanged, incident.EventUpdate}
	if !slices.Equal(kinds, want) {
		t.Fatalf("timeline %v, want %v", kinds, want)
	}
	sevEv, stEv, upd := st.events[2], st.events[3], st.events[4]
	if sevEv.From != "SEV2" || sevEv.To != "SEV1" || sevEv.Actor != "UBOB" || stEv.From != "investigating" || stEv.To != "identified" {
		t.Fatalf("change events %+v %+v", sevEv, stEv)
	}
	if upd.Text != "bad deploy found" || upd.NextSteps != "roll back" || !upd.NextUpdate.Equal(got.NextUpdateAt) || upd.Actor != "UBOB" || res.Event.Seq != upd.Seq {
		t.Fatalf("update event %+v (result %+v)", upd, res.Event)
	}
	if jobs := st.jobs[before:]; !equal(jobs, []string{"post_update", "post_update", "refresh_card", "set_topic", "refresh_announcement"}) {
		t.Fatalf("jobs %v", jobs)
	}
	pending, _ := s.Store.(*boltstore.Store).PendingJobs(0)
	// The post carries the update and the state just after it, so the
	// message renders without replaying the timeline.
	if p, want := string(pending[before].Payload), fmt.Sprintf(`{"target":"channel","template":"update.tmpl","event":%d,"update":{"severity":"SEV1","status":"identified","event":`+
		`{"seq":%[1]d,"at":"2026-11-26T03:00:00Z","kind":"update","actor":"UBOB","text":"bad deploy found","next_steps":"roll back","next_update":"2026-11-26T03:15:00Z"}}}`, upd.Seq); p != want {
		t.Fatalf("channel post payload\n%s\nwant\n%s", p, want)
	}
	if p := string(pending[before+1].Payload); !strings.Contains(p, `"target":"thread"`) {
		t.Fatalf("thread post payload %s", p)
	}

	// The same delivery again changes nothing.
	again, err := s.PostUpdate(context.Background(), commands.UpdateInput{
		Incident: "INC-1", Status: "monitoring", Severity: "SEV1", Summary: "x", By: "UBOB", IdempotencyKey: "view-1",
	})
	if err != nil || !again.Duplicate {
		t.Fatalf("redelivery: %+v %v", again, err)
	}
	if !lcSnapshot(t, s, inc.Number).same(st) {
		t.Fatal("a redelivered update changed state")
	}
}

func TestPostUpdateNextUpdateChoice(t *testing.T) {
	tests := []struct {
		severity, next string
		want           time.Duration // 0 = no next update, no reminder
		reminder       bool
	}{
		{"SEV2", "", 30 * time.Minute, true},
		{"SEV2", "1h", time.Hour, true},
		{"SEV1", "4h", 4 * time.Hour, true},
		{"SEV4", "", 0, false},
		// A promise is shown, but SEV4 has no reminders configured.
		{"SEV4", "2h", 2 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.severity+"/"+tt.next, func(t *testing.T) {
			s := newService(t)
			now := s.Clock.Now()
			inc, _ := lcDeclare(t, s, tt.severity, false)
			if _, err := s.PostUpdate(context.Background(), commands.UpdateInput{
				Incident: inc.ID(), Status: "investigating", Severity: tt.severity, Summary: "s", NextUpdate: tt.next, By: "UBOB",
			}); err != nil {
				t.Fatal(err)
			}
			st := lcSnapshot(t, s, inc.Number)
			wantAt := time.Time{}
			if tt.want > 0 {
				wantAt = now.Add(tt.want)
			}
			if !st.inc.NextUpdateAt.Equal(wantAt) {
				t.Fatalf("next update %v, want %v", st.inc.NextUpdateAt, wantAt)
			}
			if st.hasRem != tt.reminder || (tt.reminder && !st.reminder.Equal(wantAt)) {
				t.Fatalf("reminder %v %v, want %v at %v", st.reminder, st.hasRem, tt.reminder, wantAt)
			}
			if kinds := lcKinds(st.events); kinds[len(kinds)-1] != incident.EventUpdate || len(kinds) != 3 {
				t.Fatalf("an update that changes no status or severity records only the update: %v", kinds)
			}
		})
	}
}

func TestPostUpdateRejectsBadInputWithoutChangingAnything(t *testing.T) {
	tests := []struct {
		name  string
		in    commands.UpdateInput
		field string // "" = not a field error
		code  string
	}{
		{"unknown status", commands.UpdateInput{Status: "paused", Severity: "SEV2", Summary: "s"}, "status", incident.EINVALID},
		{"unknown severity", commands.UpdateInput{Status: "identified", Severity: "SEV9", Summary: "s"}, "severity", incident.EINVALID},
		{"empty summary", commands.UpdateInput{Status: "identified", Severity: "SEV2", Summary: "  \n "}, "summary", incident.EINVALID},
		{"bad next update", commands.UpdateInput{Status: "identified", Severity: "SEV2", Summary: "s", NextUpdate: "soon"}, "next_update", incident.EINVALID},
		{"next update too far", commands.UpdateInput{Status: "identified", Severity: "SEV2", Summary: "s", NextUpdate: "72h"}, "next_update", incident.EINVALID},
		{"negative next update", commands.UpdateInput{Status: "identified", Severity: "SEV2", Summary: "s", NextUpdate: "-5m"}, "next_update", incident.EINVALID},
		{"no such incident", commands.UpdateInput{Incident: "INC-99", Status: "identified", Severity: "SEV2", Summary: "s"}, "", incident.ENOTFOUND},
		{"not an incident id", commands.UpdateInput{Incident: "hello", Status: "identified", Severity: "SEV2", Summary: "s"}, "", incident.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			inc, _ := lcDeclare(t, s, "SEV2", false)
			before := lcSnapshot(t, s, inc.Number)
			in := tt.in
			if in.Incident == "" {
				in.Incident = inc.ID()
			}
			in.By = "UBOB"
			_, err := s.PostUpdate(context.Background(), in)
			var fe *commands.FieldError
			switch {
			case err == nil:
				t.Fatal("accepted")
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
				t.Fatalf("error %v is not about %s", err, tt.field)
			case incident.ErrorCode(err) != tt.code:
				t.Fatalf("code %s, want %s (%v)", incident.ErrorCode(err), tt.code, err)
			}
			if !lcSnapshot(t, s, inc.Number).same(before) {
				t.Fatal("a rejected update changed state")
			}
		})
	}
}

func TestPostUpdateToResolvedResolvesAndStopsReminders(t *testing.T) {
	s := newService(t)
	now := s.Clock.Now()
	inc, before := lcDeclare(t, s, "SEV1", false)
	res, err := s.PostUpdate(context.Background(), commands.UpdateInput{
		Incident: inc.ID(), Status: "resolved", Severity: "SEV1", Summary: "rolled back, errors gone", By: "UBOB",
	})
	if err != nil || !res.Resolved {
		t.Fatalf("%+v %v", res, err)
	}
	st := lcSnapshot(t, s, inc.Number)
	if st.inc.Status != incident.Resolved || !st.inc.ResolvedAt.Equal(now) || st.inc.Resolution != "rolled back, errors gone" || !st.inc.NextUpdateAt.IsZero() || st.hasRem {
		t.Fatalf("incident %+v reminder %v", st.inc, st.hasRem)
	}
	kinds := lcKinds(st.events)
	if !slices.Equal(kinds[2:], []incident.EventKind{incident.EventResolved, incident.EventUpdate}) {
		t.Fatalf("timeline %v", kinds)
	}
	if jobs := st.jobs[before:]; !equal(jobs, []string{"post_update", "post_update", "post", "refresh_card", "set_topic", "refresh_announcement"}) {
		t.Fatalf("jobs %v", jobs)
	}
	if open, _ := s.List(context.Background(), "UBOB", nil); len(open.Incidents) != 0 {
		t.Fatalf("a resolved incident is still listed: %v", open)
	}
	// A resolved incident takes no more updates, whatever the status.
	for _, status := range []string{"resolved", "monitoring"} {
		_, err := s.PostUpdate(context.Background(), commands.UpdateInput{Incident: inc.ID(), Status: status, Severity: "SEV1", Summary: "again", By: "UBOB"})
		var fe *commands.FieldError
		if !errors.As(err, &fe) || fe.Field != "status" || incident.ErrorCode(err) != incident.ECONFLICT {
			t.Fatalf("update to %s after resolution: %v", status, err)
		}
	}
	if !lcSnapshot(t, s, inc.Number).same(st) {
		t.Fatal("a refused update changed state")
	}
}

func TestPrivateIncidentUpdatesStayOutOfTheAnnouncementThread(t *testing.T) {
	s := newService(t)
	inc, before := lcDeclare(t, s, "SEV3", true)
	if _, err := s.PostUpdate(context.Background(), commands.UpdateInput{Incident: inc.ID(), Status: "identified", Severity: "SEV1", Summary: "secret", By: "UBOB"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(context.Background(), commands.ResolveInput{Channel: lcChannel, By: "UBOB"}); err != nil {
		t.Fatal(err)
	}
	pending, _ := s.Store.(*boltstore.Store).PendingJobs(0)
	for _, j := range pending[before:] {
		if strings.Contains(string(j.Payload), `"thread"`) {
			t.Fatalf("private incident posts in the announcement thread: %s %s", j.Kind, j.Payload)
		}
	}
}

func TestResolve(t *testing.T) {
	s := newService(t)
	now := s.Clock.Now()
	inc, before := lcDeclare(t, s, "SEV2", false)
	res, err := s.Resolve(context.Background(), commands.ResolveInput{Channel: lcChannel, Summary: " fixed by rollback ", By: "UBOB", IdempotencyKey: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	st := lcSnapshot(t, s, inc.Number)
	if res.Incident.Status != incident.Resolved || st.inc.Status != incident.Resolved || !st.inc.ResolvedAt.Equal(now) || st.inc.Resolution != "fixed by rollback" || st.hasRem {
		t.Fatalf("incident %+v", st.inc)
	}
	last := st.events[len(st.events)-1]
	if last.Kind != incident.EventResolved || last.Actor != "UBOB" || last.From != "investigating" || last.Text != "fixed by rollback" {
		t.Fatalf("event %+v", last)
	}
	if jobs := st.jobs[before:]; !equal(jobs, []string{"post_update", "post_update", "post", "refresh_card", "set_topic", "refresh_announcement"}) {
		t.Fatalf("jobs %v", jobs)
	}
	if again, err := s.Resolve(context.Background(), commands.ResolveInput{Channel: lcChannel, By: "UBOB", IdempotencyKey: "t1"}); err != nil || !again.Duplicate {
		t.Fatalf("redelivery %+v %v", again, err)
	}
	_, err = s.Resolve(context.Background(), commands.ResolveInput{Channel: lcChannel, By: "UBOB", IdempotencyKey: "t2"})
	if incident.ErrorCode(err) != incident.ECONFLICT || !strings.Contains(err.Error(), "already resolved") {
		t.Fatalf("resolving twice: %v", err)
	}
	if !lcSnapshot(t, s, inc.Number).same(st) {
		t.Fatal("resolving twice changed state")
	}
}

func TestChangeSeverity(t *testing.T) {
	tests := []struct {
		from, to  string
		escalated bool
		jobs      []string
		reminder  time.Duration // 0 = none
	}{
		{"SEV3", "SEV1", true, []string{"post", "post", "refresh_card", "set_topic", "refresh_announcement"}, 15 * time.Minute},
		{"SEV1", "SEV2", false, []string{"post", "refresh_card", "set_topic", "refresh_announcement"}, 30 * time.Minute},
		{"SEV2", "sev4", false, []string{"post", "refresh_card", "set_topic", "refresh_announcement"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.from+">"+tt.to, func(t *testing.T) {
			s := newService(t)
			now := s.Clock.Now()
			inc, before := lcDeclare(t, s, tt.from, false)
			res, err := s.ChangeSeverity(context.Background(), commands.SeverityInput{Channel: lcChannel, Severity: tt.to, By: "UBOB"})
			if err != nil {
				t.Fatal(err)
			}
			st := lcSnapshot(t, s, inc.Number)
			if res.Escalated != tt.escalated || !strings.EqualFold(st.inc.Severity, tt.to) || res.Event.From != tt.from || res.Event.Actor != "UBOB" {
				t.Fatalf("result %+v, incident %+v", res, st.inc)
			}
			if jobs := st.jobs[before:]; !equal(jobs, tt.jobs) {
				t.Fatalf("jobs %v, want %v", jobs, tt.jobs)
			}
			if tt.reminder == 0 {
				if st.hasRem || !st.inc.NextUpdateAt.IsZero() {
					t.Fatalf("reminder %v / next update %v at a severity without reminders", st.reminder, st.inc.NextUpdateAt)
				}
			} else if !st.hasRem || !st.reminder.Equal(now.Add(tt.reminder)) || !st.inc.NextUpdateAt.Equal(st.reminder) {
				t.Fatalf("reminder %v, next update %v, want %v", st.reminder, st.inc.NextUpdateAt, now.Add(tt.reminder))
			}
		})
	}
}

// Every in-channel command refuses bad input with a clear error, and changes
// nothing.
func TestInChannelCommandsRefuseBadInputWithoutChangingAnything(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		resolve bool // resolve the incident first
		run     func(s *commands.Service) error
		code    string
		says    string
	}{
		{"severity outside", false, func(s *commands.Service) error {
			_, err := s.ChangeSeverity(ctx, commands.SeverityInput{Channel: "CELSEWHERE", Severity: "SEV1", By: "UBOB"})
			return err
		}, incident.EINVALID, "incident's channel"},
		{"severity unknown", false, func(s *commands.Service) error {
			_, err := s.ChangeSeverity(ctx, commands.SeverityInput{Channel: lcChannel, Severity: "SEV9", By: "UBOB"})
			return err
		}, incident.EINVALID, "SEV1, SEV2, SEV3, SEV4"},
		{"severity unchanged", false, func(s *commands.Service) error {
			_, err := s.ChangeSeverity(ctx, commands.SeverityInput{Channel: lcChannel, Severity: "sev2", By: "UBOB"})
			return err
		}, incident.EINVALID, "already SEV2"},
		{"severity resolved", true, func(s *commands.Service) error {
			_, err := s.ChangeSeverity(ctx, commands.SeverityInput{Channel: lcChannel, Severity: "SEV1", By: "UBOB"})
			return err
		}, incident.ECONFLICT, "resolved"},
		{"resolve outside", false, func(s *commands.Service) error {
			_, err := s.Resolve(ctx, commands.ResolveInput{Channel: "CELSEWHERE", By: "UBOB"})
			return err
		}, incident.EINVALID, "incident's channel"},
		{"resolve twice", true, func(s *commands.Service) error {
			_, err := s.Resolve(ctx, commands.ResolveInput{Channel: lcChannel, By: "UBOB"})
			return err
		}, incident.ECONFLICT, "already resolved"},
		{"note outside", false, func(s *commands.Service) error {
			_, err := s.AddNote(ctx, commands.NoteInput{Channel: "CELSEWHERE", Text: "x", By: "UBOB"})
			return err
		}, incident.EINVALID, "incident's channel"},
		{"note empty", false, func(s *commands.Service) error {
			_, err := s.AddNote(ctx, commands.NoteInput{Channel: lcChannel, Text: " \t", By: "UBOB"})
			return err
		}, incident.EINVALID, "needs some text"},
		{"capture outside", false, func(s *commands.Service) error {
			_, err := s.RequestCapture(ctx, commands.CaptureRequest{CapturePayload: commands.CapturePayload{Channel: "CELSEWHERE", TS: "1.2", By: "UBOB"}, DeliveryKey: "event:Ev1"})
			return err
		}, incident.EINVALID, "belongs to no incident"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			inc, _ := lcDeclare(t, s, "SEV2", false)
			if tt.resolve {
				if _, err := s.Resolve(ctx, commands.ResolveInput{Channel: lcChannel, By: "UDECL"}); err != nil {
					t.Fatal(err)
				}
			}
			before := lcSnapshot(t, s, inc.Number)
			err := tt.run(s)
			if incident.ErrorCode(err) != tt.code || !strings.Contains(incident.ErrorMessage(err), tt.says) {
				t.Fatalf("error %v (%s), want %s saying %q", err, incident.ErrorCode(err), tt.code, tt.says)
			}
			if !lcSnapshot(t, s, inc.Number).same(before) {
				t.Fatal("state changed")
			}
		})
	}
}

func TestAddNote(t *testing.T) {
	s := newService(t)
	now := s.Clock.Now()
	inc, before := lcDeclare(t, s, "SEV2", false)
	res, err := s.AddNote(context.Background(), commands.NoteInput{Channel: lcChannel, Text: " restarted db-1 ", By: "UBOB", IdempotencyKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Event.Kind != incident.EventNote || res.Event.Text != "restarted db-1" || res.Event.Actor != "UBOB" || !res.Event.At.Equal(now) || res.Incident.ID() != inc.ID() {
		t.Fatalf("%+v", res)
	}
	if again, _ := s.AddNote(context.Background(), commands.NoteInput{Channel: lcChannel, Text: "restarted db-1", By: "UBOB", IdempotencyKey: "k"}); !again.Duplicate {
		t.Fatal("redelivered note recorded twice")
	}
	st := lcSnapshot(t, s, inc.Number)
	if len(st.events) != 3 || len(st.jobs) != before {
		t.Fatalf("events %v jobs %v", lcKinds(st.events), st.jobs[before:])
	}
	// Notes still go on a resolved incident's timeline: they feed the postmortem.
	if _, err := s.Resolve(context.Background(), commands.ResolveInput{Channel: lcChannel, By: "UBOB"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNote(context.Background(), commands.NoteInput{Channel: lcChannel, Text: "after", By: "UBOB"}); err != nil {
		t.Fatal(err)
	}
}

func TestCaptureIsRecordedThenAppliedOnce(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	inc, before := lcDeclare(t, s, "SEV2", false)
	// Before the ack: the delivery and the job, together; a redelivery
	// adds neither.
	req := commands.CaptureRequest{CapturePayload: commands.CapturePayload{Channel: lcChannel, TS: "1764126000.000100", By: "UBOB"}, DeliveryKey: "event:Ev1"}
	if res, err := s.RequestCapture(ctx, req); err != nil || res.Redelivered || res.Incident.ID() != inc.ID() {
		t.Fatalf("request %+v %v", res, err)
	}
	pending, _ := s.Store.(*boltstore.Store).PendingJobs(0)
	if len(pending) != before+1 || pending[before].Kind != commands.JobCapture || string(pending[before].Payload) != `{"channel":"`+lcChannel+`","ts":"1764126000.000100","by":"UBOB"}` {
		t.Fatalf("jobs %v", jobKinds(t, s.Store)[before:])
	}
	if res, err := s.RequestCapture(ctx, req); err != nil || !res.Redelivered {
		t.Fatalf("redelivery %+v %v", res, err)
	}
	if n, _ := s.Store.(*boltstore.Store).OutboxDepth(); n != before+1 {
		t.Fatalf("a redelivery enqueued again: %d jobs", n)
	}

	// The job's result: on the timeline with the message's own time.
	posted := s.Clock.Now().Add(-10 * time.Minute)
	in := commands.CaptureInput{Channel: lcChannel, TS: "1764126000.000100", At: posted, Author: "UCAROL", Text: "disk full on db-1", Link: "https://x.slack.com/archives/C/p1"}
	apply := func() commands.CaptureResult {
		t.Helper()
		var res commands.CaptureResult
		err := s.Store.Update(ctx, func(tx store.Tx) error {
			var err error
			res, err = s.ApplyCapture(tx, in)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ev := apply().Event
	if ev.Kind != incident.EventMessagePinned || !ev.At.Equal(posted) || ev.Actor != "UCAROL" || ev.Text != in.Text || ev.Link != in.Link {
		t.Fatalf("%+v", ev)
	}
	pending, _ = s.Store.(*boltstore.Store).PendingJobs(0)
	if last := pending[len(pending)-1]; last.Kind != "react" || string(last.Payload) != `{"ts":"1764126000.000100","name":"memo"}` {
		t.Fatalf("jobs %v", jobKinds(t, s.Store)[before:])
	}
	if done, err := s.Captured(lcChannel, in.TS); err != nil || !done {
		t.Fatalf("captured %v %v", done, err)
	}
	st := lcSnapshot(t, s, inc.Number)
	if again := apply(); !again.Duplicate || again.Incident.ID() != inc.ID() {
		t.Fatalf("second capture %+v", again)
	}
	if !lcSnapshot(t, s, inc.Number).same(st) {
		t.Fatal("a second capture changed state")
	}
}

func TestListMostSevereFirst(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	for _, sev := range []string{"SEV3", "SEV1", "SEV4", "SEV1", "SEV2"} {
		if _, err := s.Declare(ctx, commands.DeclareInput{Title: "t", Severity: sev, DeclaredBy: "UDECL"}); err != nil {
			t.Fatal(err)
		}
	}
	// INC-4 is resolved and must not show.
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		inc, _ := tx.Incident(4)
		if err := inc.SetStatus(incident.Resolved, s.Clock.Now()); err != nil {
			return err
		}
		return tx.PutIncident(inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	listing, err := s.List(context.Background(), "UDECL", nil)
	if err != nil {
		t.Fatal(err)
	}
	list := listing.Incidents
	var got []string
	for _, inc := range list {
		got = append(got, inc.ID()+"/"+inc.Severity)
	}
	if want := []string{"INC-2/SEV1", "INC-5/SEV2", "INC-1/SEV3", "INC-3/SEV4"}; !equal(got, want) {
		t.Fatalf("list %v, want %v", got, want)
	}
	if roles := s.RolesOf(list[0], "UDECL"); len(roles) != 1 || roles[0].ID != incident.RoleCommander {
		t.Fatalf("roles %v", roles)
	}
	if roles := s.RolesOf(list[0], "UNOBODY"); len(roles) != 0 {
		t.Fatalf("roles %v", roles)
	}
}

func TestNextUpdateChoicesAndFormat(t *testing.T) {
	s := newService(t)
	s.Settings.Severities = append(s.Settings.Severities, incident.Severity{Name: "FAST", Reminder: time.Second})
	tests := []struct {
		sev  string
		def  time.Duration
		want []string
	}{
		{"SEV1", 15 * time.Minute, []string{"15m", "30m", "1h", "2h", "4h"}},
		{"SEV4", 0, []string{"15m", "30m", "1h", "2h", "4h"}},
		{"FAST", time.Second, []string{"1s", "15m", "30m", "1h", "2h", "4h"}},
		{"nope", 0, []string{"15m", "30m", "1h", "2h", "4h"}},
	}
	for _, tt := range tests {
		choices, def := s.NextUpdateChoices(tt.sev)
		var got []string
		for _, c := range choices {
			got = append(got, incident.FormatDuration(c, incident.DurationValue))
		}
		if def != tt.def || !equal(got, tt.want) {
			t.Errorf("%s: %v default %v, want %v default %v", tt.sev, got, def, tt.want, tt.def)
		}
	}
	for _, d := range []time.Duration{time.Second, 90 * time.Second, 15 * time.Minute, 90 * time.Minute, 2 * time.Hour, 25*time.Hour + time.Minute} {
		back, err := time.ParseDuration(incident.FormatDuration(d, incident.DurationValue))
		if err != nil || back != d {
			t.Errorf("FormatDuration(%v) = %q reads back as %v, %v", d, incident.FormatDuration(d, incident.DurationValue), back, err)
		}
	}
}

// Two updates of the same incident at the same moment both land, in order,
// and the incident ends in the state of the later one.
func TestConcurrentUpdatesBothLandInOrder(t *testing.T) {
	s := newService(t)
	inc, _ := lcDeclare(t, s, "SEV2", false)
	ins := []commands.UpdateInput{
		{Incident: inc.ID(), Status: "identified", Severity: "SEV1", Summary: "first", By: "UALICE", IdempotencyKey: "a"},
		{Incident: inc.ID(), Status: "monitoring", Severity: "SEV3", Summary: "second", By: "UBOB", IdempotencyKey: "b"},
	}
	var wg sync.WaitGroup
	results := make([]commands.UpdateResult, len(ins))
	errs := make([]error, len(ins))
	for i := range ins {
		wg.Go(func() { results[i], errs[i] = s.PostUpdate(context.Background(), ins[i]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := lcSnapshot(t, s, inc.Number)
	var updates []incident.Event
	for _, e := range st.events {
		if e.Kind == incident.EventUpdate {
			updates = append(updates, e)
		}
	}
	if len(updates) != 2 {
		t.Fatalf("%d updates recorded", len(updates))
	}
	last := ins[0]
	if updates[1].Text == "second" {
		last = ins[1]
	}
	if string(st.inc.Status) != last.Status || st.inc.Severity != last.Severity {
		t.Fatalf("incident ends %s/%s, the later update said %s/%s", st.inc.Status, st.inc.Severity, last.Status, last.Severity)
	}
}
