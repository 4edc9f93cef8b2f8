package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// Once resolved, an incident refuses changes in the domain's words, and the
// use-case adds what to do instead, naming the command as configured.
func TestResolvedIncidentRefusalsNameTheCommand(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	s.Command = "/inc"
	inc, _ := lcDeclare(t, s, "SEV2", false)
	if _, err := s.Resolve(ctx, commands.ResolveInput{Channel: lcChannel, By: "UBOB"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		call  func() error
		field string
		want  string
	}{
		{"resolve twice", func() error {
			_, err := s.Resolve(ctx, commands.ResolveInput{Channel: lcChannel, By: "UBOB"})
			return err
		}, "", inc.ID() + " is already resolved (it was resolved at 2026-11-26 03:00 UTC); nothing changed. Next step: `/inc postmortem` drafts the write-up."},
		{"update", func() error {
			_, err := s.PostUpdate(ctx, commands.UpdateInput{Incident: inc.ID(), Status: "monitoring", Severity: "SEV2", Summary: "hm", By: "UBOB"})
			return err
		}, "status", inc.ID() + " is already resolved, so it takes no more status updates. `/inc postmortem` drafts the write-up."},
		{"severity", func() error {
			_, err := s.ChangeSeverity(ctx, commands.SeverityInput{Channel: lcChannel, Severity: "SEV1", By: "UBOB"})
			return err
		}, "", inc.ID() + " is resolved, so its severity can no longer change. `/inc note …` still adds to its timeline, and `/inc postmortem` drafts the write-up."},
		{"snooze", func() error {
			_, err := s.Snooze(ctx, commands.SnoozeInput{Channel: lcChannel, For: "15m", By: "UBOB"})
			return err
		}, "", inc.ID() + " is resolved, so there are no reminders left to snooze."},
	}
	for _, tt := range tests {
		before := lcSnapshot(t, s, inc.Number)
		err := tt.call()
		if incident.ErrorCode(err) != incident.ECONFLICT || incident.ErrorMessage(err) != tt.want {
			t.Errorf("%s: %q (%s)\nwant %q", tt.name, incident.ErrorMessage(err), incident.ErrorCode(err), tt.want)
		}
		var fe *commands.FieldError
		if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
			t.Errorf("%s: %v is not about the %s field", tt.name, err, tt.field)
		}
		if !lcSnapshot(t, s, inc.Number).same(before) {
			t.Errorf("%s: a refusal changed state", tt.name)
		}
	}
}

// A delivery is acted on once: its redelivery is reported as a duplicate
// and changes nothing, whichever use-case it reaches.
func TestRedeliveriesActOnce(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	inc, _ := lcDeclare(t, s, "SEV2", false)
	calls := []struct {
		name string
		call func() (bool, error)
	}{
		{"note", func() (bool, error) {
			r, err := s.AddNote(ctx, commands.NoteInput{Channel: lcChannel, Text: "x", By: "UBOB", IdempotencyKey: "n1"})
			return r.Duplicate, err
		}},
		{"severity", func() (bool, error) {
			r, err := s.ChangeSeverity(ctx, commands.SeverityInput{Channel: lcChannel, Severity: "SEV1", By: "UBOB", IdempotencyKey: "s1"})
			return r.Duplicate, err
		}},
		{"action", func() (bool, error) {
			r, err := s.AddActionItem(ctx, commands.ActionInput{ChannelID: lcChannel, Text: "x", By: "UBOB", IdempotencyKey: "a1"})
			if r.Duplicate && (r.Incident == nil || r.Incident.Number != inc.Number) {
				t.Errorf("action: a duplicate names %v", r.Incident)
			}
			return r.Duplicate, err
		}},
		{"postmortem", func() (bool, error) {
			r, err := s.RecordPostmortem(ctx, commands.PostmortemInput{ChannelID: lcChannel, By: "UBOB", IdempotencyKey: "p1"})
			if r.Duplicate && r.FileName != inc.ID()+"-postmortem.md" {
				t.Errorf("postmortem: a duplicate names %q", r.FileName)
			}
			return r.Duplicate, err
		}},
		{"resolve", func() (bool, error) {
			r, err := s.Resolve(ctx, commands.ResolveInput{Channel: lcChannel, By: "UBOB", IdempotencyKey: "r1"})
			return r.Duplicate, err
		}},
	}
	for _, c := range calls {
		if dup, err := c.call(); err != nil || dup {
			t.Fatalf("%s: first delivery: duplicate %v, %v", c.name, dup, err)
		}
		before := lcSnapshot(t, s, inc.Number)
		if dup, err := c.call(); err != nil || !dup {
			t.Errorf("%s: redelivery: duplicate %v, %v", c.name, dup, err)
		}
		if !lcSnapshot(t, s, inc.Number).same(before) {
			t.Errorf("%s: a redelivery changed state", c.name)
		}
	}
}
