package commands_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

func newService(t *testing.T) *commands.Service {
	t.Helper()
	settings := incident.DefaultSettings()
	settings.Services = []incident.Service{{Name: "checkout", Experts: []string{"UEXPERT1", "UDECL"}, Runbook: "https://wiki.example.com/checkout"}}
	return &commands.Service{
		Store:           bolttest.Open(t),
		Settings:        settings,
		ChannelPrefix:   "inc",
		AnnounceChannel: "CANNOUNCE",
		Clock:           clock.NewFake(time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)),
	}
}

func jobKinds(t *testing.T, st commands.Store) []string {
	t.Helper()
	jobs, err := st.(*boltstore.Store).PendingJobs(0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, j := range jobs {
		kinds = append(kinds, j.Kind)
	}
	return kinds
}

func TestDeclareRecordsIncidentTimelineAndJobsInOneGo(t *testing.T) {
	s := newService(t)
	res, err := s.Declare(context.Background(), commands.DeclareInput{
		Title: "  checkout returns 500s ", Summary: "errors everywhere", Severity: "sev2",
		Service: "Checkout", DeclaredBy: "UDECL", Commander: "UCMDR", IdempotencyKey: "k1",
	})
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	if inc.ID() != "INC-1" || inc.Title != "checkout returns 500s" || inc.Severity != "SEV2" || inc.Service != "checkout" {
		t.Fatalf("incident = %+v", inc)
	}
	if inc.Status != incident.Investigating || inc.Holder(incident.RoleCommander) != "UCMDR" || inc.DeclaredAt.IsZero() {
		t.Fatalf("incident = %+v", inc)
	}
	want := []string{"create_channel", "set_topic", "set_purpose", "invite", "post_card", "pin_card", "bookmark_runbook", "post_welcome", "announce"}
	if got := jobKinds(t, s.Store); !equal(got, want) {
		t.Fatalf("jobs = %v, want %v", got, want)
	}
	jobs, _ := s.Store.(*boltstore.Store).PendingJobs(0)
	// The graph: the channel first; everything else waits for it; the
	// pin and the first steps wait for the card's post.
	waitsFor := map[string]string{}
	for _, j := range jobs[1:] {
		if j.Batch != jobs[0].ID || len(j.After) != 1 {
			t.Fatalf("%s: batch %d after %v, want batch %d and one dependency", j.Kind, j.Batch, j.After, jobs[0].ID)
		}
		for _, d := range jobs {
			if d.ID == j.After[0] {
				waitsFor[j.Kind] = d.Kind
			}
		}
	}
	wantWaits := map[string]string{"set_topic": "create_channel", "set_purpose": "create_channel", "invite": "create_channel",
		"post_card": "create_channel", "pin_card": "post_card", "bookmark_runbook": "create_channel", "post_welcome": "post_card", "announce": "create_channel"}
	if !maps.Equal(waitsFor, wantWaits) || jobs[0].Batch != 0 {
		t.Fatalf("waits for %v, want %v (root batch %d)", waitsFor, wantWaits, jobs[0].Batch)
	}
	if string(jobs[3].Payload) != `{"users":["UDECL","UCMDR","UEXPERT1"]}` {
		t.Fatalf("invitees = %s", jobs[3].Payload)
	}
	_ = s.Store.View(func(tx store.Tx) error {
		events, err := tx.Events(inc.Number)
		if err != nil || len(events) != 2 || events[0].Kind != incident.EventDeclared || events[1].Kind != incident.EventRoleAssigned {
			t.Fatalf("timeline = %+v, %v", events, err)
		}
		return nil
	})
}

func TestDeclareDefaultsAndOptionalJobs(t *testing.T) {
	s := newService(t)
	s.AnnounceChannel = ""
	res, err := s.Declare(context.Background(), commands.DeclareInput{Title: "db slow", DeclaredBy: "UDECL"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Incident.Severity != "SEV4" || res.Incident.Holder(incident.RoleCommander) != "UDECL" {
		t.Fatalf("defaults: %+v", res.Incident)
	}
	want := []string{"create_channel", "set_topic", "set_purpose", "invite", "post_card", "pin_card", "post_welcome"}
	if got := jobKinds(t, s.Store); !equal(got, want) {
		t.Fatalf("jobs = %v, want %v (no runbook, no announce channel)", got, want)
	}
}

func TestDeclareIsIdempotentPerKey(t *testing.T) {
	s := newService(t)
	in := commands.DeclareInput{Title: "db down", DeclaredBy: "U1", IdempotencyKey: "trigger-1"}
	first, err := s.Declare(context.Background(), in)
	if err != nil || first.Duplicate {
		t.Fatal(first, err)
	}
	again, err := s.Declare(context.Background(), in)
	if err != nil || !again.Duplicate || again.Incident != nil {
		t.Fatalf("redelivery: %+v, %v", again, err)
	}
	var n int
	_ = s.Store.View(func(tx store.Tx) error {
		return tx.ForEachIncident(func(*incident.Incident) error { n++; return nil })
	})
	if n != 1 {
		t.Fatalf("%d incidents after a redelivered declaration", n)
	}
}

func TestDeclareRejectsBadInputWithFieldErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    commands.DeclareInput
		field string
	}{
		{"empty title", commands.DeclareInput{Title: "  ", DeclaredBy: "U1"}, "title"},
		{"unknown severity", commands.DeclareInput{Title: "x", Severity: "SEV9", DeclaredBy: "U1"}, "severity"},
		{"bare sev", commands.DeclareInput{Title: "x", Severity: "sev", DeclaredBy: "U1"}, "severity"},
		{"unknown service", commands.DeclareInput{Title: "x", Service: "nope", DeclaredBy: "U1"}, "service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			_, err := s.Declare(context.Background(), tt.in)
			var fe *commands.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("err = %v, want a field error on %s", err, tt.field)
			}
			if incident.ErrorCode(err) != incident.EINVALID {
				t.Fatalf("code = %s", incident.ErrorCode(err))
			}
			if d, _ := s.Store.(*boltstore.Store).OutboxDepth(); d != 0 {
				t.Fatalf("a rejected declaration enqueued %d jobs", d)
			}
		})
	}
}

func TestSeverityErrorListsValidOnes(t *testing.T) {
	s := newService(t)
	_, err := s.Declare(context.Background(), commands.DeclareInput{Title: "x", Severity: "SEV9", DeclaredBy: "U1"})
	msg := incident.ErrorMessage(err)
	for _, sev := range []string{"SEV1", "SEV2", "SEV3", "SEV4"} {
		if !strings.Contains(msg, sev) {
			t.Fatalf("message %q does not list %s", msg, sev)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
