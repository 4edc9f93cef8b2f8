package commands_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

// declaredIn declares an incident and gives it channel, as the outbox would.
func declaredIn(t *testing.T, s *commands.Service, channel string) *incident.Incident {
	t.Helper()
	res, err := s.Declare(context.Background(), commands.DeclareInput{Title: "db down", DeclaredBy: "UDECL", IdempotencyKey: "d-" + channel})
	if err != nil {
		t.Fatal(err)
	}
	var inc *incident.Incident
	err = s.Store.Update(context.Background(), func(tx store.Tx) error {
		var err error
		if inc, err = tx.Incident(res.Incident.Number); err != nil {
			return err
		}
		inc.ChannelID = channel
		return tx.PutIncident(inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func timeline(t *testing.T, s *commands.Service, n uint64) []incident.Event {
	t.Helper()
	var evs []incident.Event
	if err := s.Store.View(func(tx store.Tx) error {
		var err error
		evs, err = tx.Events(n)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestAddActionItemRejects(t *testing.T) {
	s := newService(t)
	declaredIn(t, s, "CINC")
	tests := []struct {
		name string
		in   commands.ActionInput
		code string
		want string
	}{
		{"no text", commands.ActionInput{ChannelID: "CINC", Text: "  ", By: "U1"}, incident.EINVALID, "needs a description"},
		{"too long", commands.ActionInput{ChannelID: "CINC", Text: strings.Repeat("é", commands.MaxActionText+1), By: "U1"}, incident.EINVALID, "at most 500 characters (this one has 501)"},
		{"not an incident channel", commands.ActionInput{ChannelID: "CGENERAL", Text: "x", By: "U1"}, incident.EINVALID, "only in an incident's channel"},
		{"no user", commands.ActionInput{ChannelID: "CINC", Text: "x"}, incident.EINVALID, "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.AddActionItem(context.Background(), tt.in)
			if incident.ErrorCode(err) != tt.code || !strings.Contains(incident.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v (%s), want %s containing %q", err, incident.ErrorCode(err), tt.code, tt.want)
			}
		})
	}
	if inc := incidentNumber(t, s, 1); len(inc.Actions) != 0 {
		t.Fatalf("rejected items were recorded: %+v", inc.Actions)
	}
}

func incidentNumber(t *testing.T, s *commands.Service, n uint64) *incident.Incident {
	t.Helper()
	var inc *incident.Incident
	if err := s.Store.View(func(tx store.Tx) error {
		var err error
		inc, err = tx.Incident(n)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestAddActionItemRecordsItemAndTimelineOnce(t *testing.T) {
	s := newService(t)
	inc := declaredIn(t, s, "CINC")
	ctx := context.Background()
	res, err := s.AddActionItem(ctx, commands.ActionInput{ChannelID: "CINC", Text: " alert on lag ", Owner: "UOWNER", By: "UBY", IdempotencyKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || res.Item.Text != "alert on lag" || res.Item.Owner != "UOWNER" || res.Item.CreatedBy != "UBY" || res.Item.CreatedAt.IsZero() {
		t.Fatalf("result = %+v", res)
	}
	again, err := s.AddActionItem(ctx, commands.ActionInput{ChannelID: "CINC", Text: "alert on lag", Owner: "UOWNER", By: "UBY", IdempotencyKey: "k"})
	if err != nil || !again.Duplicate {
		t.Fatalf("redelivery: %+v, %v", again, err)
	}
	// Without an owner, and on a resolved incident: follow-ups come late.
	if err := s.Store.Update(ctx, func(tx store.Tx) error {
		i, err := tx.Incident(inc.Number)
		if err != nil {
			return err
		}
		if err := i.SetStatus(incident.Resolved, time.Now()); err != nil {
			return err
		}
		return tx.PutIncident(i)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddActionItem(ctx, commands.ActionInput{ChannelID: "CINC", Text: "write the runbook", By: "UBY", IdempotencyKey: "k2"}); err != nil {
		t.Fatal(err)
	}

	got := incidentNumber(t, s, inc.Number)
	if len(got.Actions) != 2 || got.Actions[0].Owner != "UOWNER" || got.Actions[1].Owner != "" || got.Actions[1].Text != "write the runbook" {
		t.Fatalf("actions = %+v", got.Actions)
	}
	var actions []incident.Event
	for _, ev := range timeline(t, s, inc.Number) {
		if ev.Kind == incident.EventAction {
			actions = append(actions, ev)
		}
	}
	if len(actions) != 2 || actions[0].Text != "alert on lag" || actions[0].To != "UOWNER" || actions[0].Actor != "UBY" {
		t.Fatalf("action events = %+v", actions)
	}
}

func TestRecordPostmortemEnqueuesAFreshUploadEachTime(t *testing.T) {
	s := newService(t)
	inc := declaredIn(t, s, "CINC")
	ctx := context.Background()
	before := jobKinds(t, s.Store)

	if _, err := s.RecordPostmortem(ctx, commands.PostmortemInput{ChannelID: "CGENERAL", By: "U1", IdempotencyKey: "x"}); incident.ErrorCode(err) != incident.EINVALID {
		t.Fatalf("outside an incident channel: %v", err)
	}
	res, err := s.RecordPostmortem(ctx, commands.PostmortemInput{ChannelID: "CINC", By: "UBY", IdempotencyKey: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || res.FileName != "INC-1-postmortem.md" || res.Incident.Number != inc.Number {
		t.Fatalf("result = %+v", res)
	}
	if dup, err := s.RecordPostmortem(ctx, commands.PostmortemInput{ChannelID: "CINC", By: "UBY", IdempotencyKey: "a"}); err != nil || !dup.Duplicate {
		t.Fatalf("redelivery: %+v, %v", dup, err)
	}
	if _, err := s.RecordPostmortem(ctx, commands.PostmortemInput{ChannelID: "CINC", By: "UOTHER", IdempotencyKey: "b"}); err != nil {
		t.Fatal(err)
	}

	jobs, err := s.Store.(*boltstore.Store).PendingJobs(0)
	if err != nil {
		t.Fatal(err)
	}
	jobs = jobs[len(before):]
	if len(jobs) != 2 || jobs[0].Kind != commands.JobUploadPostmortem || jobs[1].Kind != commands.JobUploadPostmortem {
		t.Fatalf("jobs = %+v", jobs)
	}
	var requests []incident.Event
	for _, ev := range timeline(t, s, inc.Number) {
		if ev.Kind == incident.EventPostmortem {
			requests = append(requests, ev)
		}
	}
	if len(requests) != 2 || requests[0].Actor != "UBY" || requests[1].Actor != "UOTHER" {
		t.Fatalf("postmortem events = %+v", requests)
	}
	for i, j := range jobs {
		var pl commands.PostmortemPayload
		if err := json.Unmarshal(j.Payload, &pl); err != nil || pl.Event != requests[i].Seq {
			t.Fatalf("job %d payload %s, want event %d", i, j.Payload, requests[i].Seq)
		}
	}
	if got := incidentNumber(t, s, inc.Number); !got.PostmortemAt.Equal(requests[1].At) {
		t.Fatalf("PostmortemAt = %v, want %v", got.PostmortemAt, requests[1].At)
	}
}

func TestDraftPostmortemAndRecord(t *testing.T) {
	s := newService(t)
	inc := declaredIn(t, s, "CINC")
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	draft, err := s.DraftPostmortem(inc.Number, tmpl, func(id string) string {
		if id == "UDECL" {
			return "Dee Clarer"
		}
		return ""
	})
	if err != nil || !strings.HasPrefix(draft, "# INC-1: db down") || !strings.Contains(draft, "Declared as **SEV4** by Dee Clarer") {
		t.Fatalf("draft (%v):\n%s", err, draft)
	}
	rec, err := s.IncidentRecord(inc.Number)
	if err != nil || rec.Incident.Number != inc.Number || len(rec.Events) != 2 {
		t.Fatalf("record = %+v, %v", rec, err)
	}
	for _, f := range []func() error{
		func() error { _, err := s.DraftPostmortem(99, tmpl, nil); return err },
		func() error { _, err := s.IncidentRecord(99); return err },
	} {
		if err := f(); incident.ErrorCode(err) != incident.ENOTFOUND || !strings.Contains(err.Error(), "INC-99 does not exist") {
			t.Errorf("unknown incident: %v", err)
		}
	}
}
