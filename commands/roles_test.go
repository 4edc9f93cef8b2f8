package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

const roleChannel = "CINC1"

var errRoleBoom = errors.New("boom")

// declaredInChannel declares an incident commanded by UCMDR and gives it the
// channel roleChannel, as the outbox would, and returns how many jobs are
// pending, so that tests see only what a role change adds.
func declaredInChannel(t *testing.T, s *commands.Service) int {
	t.Helper()
	res, err := s.Declare(context.Background(), commands.DeclareInput{Title: "db down", DeclaredBy: "UDECL", Commander: "UCMDR"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Store.Update(context.Background(), func(tx store.Tx) error {
		inc, err := tx.Incident(res.Incident.Number)
		if err != nil {
			return err
		}
		inc.ChannelID = roleChannel
		return tx.PutIncident(inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(jobKinds(t, s.Store))
}

// roleJobs describes the jobs enqueued after the first skip as
// "kind" or "kind target template" (posts) or "kind users" (invites).
func roleJobs(t *testing.T, st commands.Store, skip int) []string {
	t.Helper()
	jobs, err := st.(*boltstore.Store).PendingJobs(0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range jobs[skip:] {
		switch j.Kind {
		case commands.JobPost:
			var p commands.PostPayload
			if err := json.Unmarshal(j.Payload, &p); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("post %s %s", p.Target, p.Template))
		case commands.JobInvite:
			var p commands.InvitePayload
			if err := json.Unmarshal(j.Payload, &p); err != nil {
				t.Fatal(err)
			}
			out = append(out, "invite "+strings.Join(p.Users, ","))
		default:
			out = append(out, j.Kind)
		}
	}
	return out
}

func TestAssignRole(t *testing.T) {
	tests := []struct {
		name      string
		in        commands.AssignRoleInput
		wantKind  incident.EventKind
		wantFrom  string
		wantJobs  []string
		wantRole  string
		wantOwner string
	}{
		{
			name:     "comms nobody held, by prefix of its name",
			in:       commands.AssignRoleInput{ChannelID: roleChannel, Role: "communications", User: "UANA", By: "UCMDR", IdempotencyKey: "k1"},
			wantKind: incident.EventRoleAssigned, wantRole: "comms", wantOwner: "UANA",
			wantJobs: []string{"invite UANA", "refresh_card", "set_topic", "refresh_announcement", "post channel role_assigned.tmpl"},
		},
		{
			name:     "commander handoff, by number",
			in:       commands.AssignRoleInput{Number: 1, Role: "IC", User: "UBOB", By: "UANA"},
			wantKind: incident.EventRoleHandoff, wantFrom: "UCMDR", wantRole: "commander", wantOwner: "UBOB",
			wantJobs: []string{"invite UBOB", "refresh_card", "set_topic", "refresh_announcement", "post channel role_handoff.tmpl", "post thread role_commander.tmpl"},
		},
		{
			name:     "a configured role",
			in:       commands.AssignRoleInput{ChannelID: roleChannel, Role: "SCRIBE", User: "UANA", By: "UANA"},
			wantKind: incident.EventRoleAssigned, wantRole: "scribe", wantOwner: "UANA",
			wantJobs: []string{"invite UANA", "refresh_card", "set_topic", "refresh_announcement", "post channel role_assigned.tmpl"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			s.Settings.Roles = append(s.Settings.Roles, incident.Role{ID: "scribe", Name: "Scribe"})
			skip := declaredInChannel(t, s)
			res, err := s.AssignRole(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Unchanged || res.Duplicate || res.Role.ID != tt.wantRole || res.Previous != tt.wantFrom {
				t.Fatalf("result %+v", res)
			}
			if res.Handoff() != (tt.wantKind == incident.EventRoleHandoff) {
				t.Fatalf("Handoff() = %v for %s", res.Handoff(), tt.wantKind)
			}
			ev := res.Event
			if ev.Kind != tt.wantKind || ev.Role != tt.wantRole || ev.From != tt.wantFrom || ev.To != tt.wantOwner || ev.Actor != tt.in.By || ev.At.IsZero() {
				t.Fatalf("event %+v", ev)
			}
			evs := timeline(t, s, 1)
			if last := evs[len(evs)-1]; last != ev {
				t.Fatalf("timeline ends with %+v, want %+v", last, ev)
			}
			if got := incidentNumber(t, s, 1).Holder(tt.wantRole); got != tt.wantOwner {
				t.Fatalf("%s held by %q", tt.wantRole, got)
			}
			if got := roleJobs(t, s.Store, skip); !slices.Equal(got, tt.wantJobs) {
				t.Fatalf("jobs %v, want %v", got, tt.wantJobs)
			}
		})
	}
}

func TestAssignRoleToTheHolderChangesNothing(t *testing.T) {
	s := newService(t)
	skip := declaredInChannel(t, s)
	before := len(timeline(t, s, 1))
	res, err := s.AssignRole(context.Background(), commands.AssignRoleInput{ChannelID: roleChannel, Role: "commander", User: "UCMDR", By: "UCMDR"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Unchanged || res.Previous != "UCMDR" || res.Event.Kind != "" {
		t.Fatalf("result %+v", res)
	}
	if n := len(timeline(t, s, 1)); n != before {
		t.Fatalf("timeline grew from %d to %d", before, n)
	}
	if jobs := roleJobs(t, s.Store, skip); len(jobs) != 0 {
		t.Fatalf("jobs enqueued: %v", jobs)
	}
}

func TestAssignRoleIsIdempotentPerKey(t *testing.T) {
	s := newService(t)
	skip := declaredInChannel(t, s)
	in := commands.AssignRoleInput{ChannelID: roleChannel, Role: "ops", User: "UANA", By: "UCMDR", IdempotencyKey: "same"}
	if _, err := s.AssignRole(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	jobs := len(roleJobs(t, s.Store, skip))
	events := len(timeline(t, s, 1))
	in.User = "UBOB" // a redelivery is the same delivery, whatever it says
	res, err := s.AssignRole(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Duplicate || res.Incident == nil {
		t.Fatalf("result %+v", res)
	}
	if got := incidentNumber(t, s, 1).Holder("ops"); got != "UANA" {
		t.Fatalf("ops held by %q after a duplicate", got)
	}
	if len(roleJobs(t, s.Store, skip)) != jobs || len(timeline(t, s, 1)) != events {
		t.Fatal("a duplicate delivery enqueued jobs or recorded events")
	}
}

func TestAssignRoleOnAResolvedIncident(t *testing.T) {
	s := newService(t)
	declaredInChannel(t, s)
	err := s.Store.Update(context.Background(), func(tx store.Tx) error {
		inc, err := tx.Incident(1)
		if err != nil {
			return err
		}
		if err := inc.SetStatus(incident.Resolved, inc.DeclaredAt); err != nil {
			return err
		}
		return tx.PutIncident(inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.AssignRole(context.Background(), commands.AssignRoleInput{ChannelID: roleChannel, Role: "ops", User: "UANA", By: "UCMDR"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Incident.Open() || res.Incident.Holder("ops") != "UANA" {
		t.Fatalf("result %+v", res.Incident)
	}
}

func TestAssignRoleRejectsBadInputWithoutChangingAnything(t *testing.T) {
	tests := []struct {
		name     string
		in       commands.AssignRoleInput
		wantCode string
		want     []string
	}{
		{"outside an incident channel", commands.AssignRoleInput{ChannelID: "CGENERAL", Role: "ops", User: "UANA", By: "UCMDR"},
			incident.EINVALID, []string{"only in an incident's channel", "/incident list"}},
		{"unknown role", commands.AssignRoleInput{ChannelID: roleChannel, Role: "chef", User: "UANA", By: "UCMDR"},
			incident.EINVALID, []string{`"chef" is not a role`, "`commander`", "`comms`", "`ops`"}},
		{"ambiguous role", commands.AssignRoleInput{ChannelID: roleChannel, Role: "comm", User: "UANA", By: "UCMDR"},
			incident.EINVALID, []string{"`commander` or `comms`"}},
		{"no user", commands.AssignRoleInput{ChannelID: roleChannel, Role: "ops", User: " ", By: "UCMDR"},
			incident.EINVALID, []string{"say who takes the ops role"}},
		{"no incident with that number", commands.AssignRoleInput{Number: 7, Role: "ops", User: "UANA", By: "UCMDR"},
			incident.ENOTFOUND, []string{"INC-7 does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			skip := declaredInChannel(t, s)
			events := len(timeline(t, s, 1))
			_, err := s.AssignRole(context.Background(), tt.in)
			if incident.ErrorCode(err) != tt.wantCode {
				t.Fatalf("error %v (code %q), want code %q", err, incident.ErrorCode(err), tt.wantCode)
			}
			for _, want := range tt.want {
				if !strings.Contains(incident.ErrorMessage(err), want) {
					t.Errorf("message %q lacks %q", incident.ErrorMessage(err), want)
				}
			}
			if jobs := roleJobs(t, s.Store, skip); len(jobs) != 0 {
				t.Fatalf("jobs enqueued: %v", jobs)
			}
			if n := len(timeline(t, s, 1)); n != events {
				t.Fatal("the timeline changed")
			}
			if inc := incidentNumber(t, s, 1); len(inc.Roles) != 1 {
				t.Fatalf("roles changed: %v", inc.Roles)
			}
		})
	}
}

// Concurrent assignments are grouped into shared commits, whose functions
// may run again: every one must still be recorded exactly once.
func TestConcurrentAssignmentsAreEachRecordedOnce(t *testing.T) {
	s := newService(t)
	roles := []string{"scribe", "liaison", "ops", "comms", "deputy", "observer", "analyst", "lawyer"}
	for _, r := range roles {
		if r != "ops" && r != "comms" {
			s.Settings.Roles = append(s.Settings.Roles, incident.Role{ID: r, Name: strings.ToUpper(r[:1]) + r[1:]})
		}
	}
	declaredInChannel(t, s)
	before := len(timeline(t, s, 1))
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(roles))
	for i, r := range roles {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := s.AssignRole(context.Background(), commands.AssignRoleInput{ChannelID: roleChannel, Role: r, User: fmt.Sprintf("UUSER%d", i), By: "UCMDR", IdempotencyKey: r})
			errs <- err
		}()
		go func() { // a failing neighbour makes bbolt run the batch's functions again
			defer wg.Done()
			_ = s.Store.Update(context.Background(), func(store.Tx) error { return errRoleBoom })
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	inc := incidentNumber(t, s, 1)
	for i, r := range roles {
		if got, want := inc.Holder(r), fmt.Sprintf("UUSER%d", i); got != want {
			t.Errorf("%s held by %q, want %q", r, got, want)
		}
	}
	if got := len(timeline(t, s, 1)) - before; got != len(roles) {
		t.Fatalf("%d events for %d assignments", got, len(roles))
	}
}

func TestRefreshCardEnqueuesOnlyTheCard(t *testing.T) {
	s := newService(t)
	skip := declaredInChannel(t, s)
	if err := s.RefreshCard(context.Background(), roleChannel); err != nil {
		t.Fatal(err)
	}
	if got := roleJobs(t, s.Store, skip); !slices.Equal(got, []string{"refresh_card"}) {
		t.Fatalf("jobs %v", got)
	}
	if err := s.RefreshCard(context.Background(), "CGENERAL"); incident.ErrorCode(err) != incident.EINVALID {
		t.Fatalf("outside an incident channel: %v", err)
	}
}
