package incident_test

import (
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

func TestRecordUpdate(t *testing.T) {
	now := lcAt(20)
	tests := []struct {
		name     string
		inc      func() *incident.Incident
		u        incident.StatusUpdate
		kinds    []incident.EventKind
		status   incident.Status
		severity string
		next     time.Time
		code     string
	}{
		{"no change but the words", lcOpen,
			incident.StatusUpdate{Status: incident.Investigating, Severity: "SEV2", Summary: "still looking", NextIn: 30 * time.Minute},
			[]incident.EventKind{incident.EventUpdate}, incident.Investigating, "SEV2", now.Add(30 * time.Minute), ""},
		{"severity then status then the update", lcOpen,
			incident.StatusUpdate{Status: incident.Identified, Severity: "SEV1", Summary: "found it", NextIn: 15 * time.Minute},
			[]incident.EventKind{incident.EventSeverityChanged, incident.EventStatusChanged, incident.EventUpdate}, incident.Identified, "SEV1", now.Add(15 * time.Minute), ""},
		{"no next update promised", lcOpen,
			incident.StatusUpdate{Status: incident.Monitoring, Severity: "SEV2", Summary: "watching"},
			[]incident.EventKind{incident.EventStatusChanged, incident.EventUpdate}, incident.Monitoring, "SEV2", time.Time{}, ""},
		{"resolving promises nothing more", lcOpen,
			incident.StatusUpdate{Status: incident.Resolved, Severity: "SEV2", Summary: "fixed", NextIn: 30 * time.Minute},
			[]incident.EventKind{incident.EventResolved, incident.EventUpdate}, incident.Resolved, "SEV2", time.Time{}, ""},
		{"a resolved incident takes no updates", lcResolved,
			incident.StatusUpdate{Status: incident.Monitoring, Severity: "SEV2", Summary: "hm"},
			nil, incident.Resolved, "SEV2", time.Time{}, incident.ECONFLICT},
	}
	for _, tt := range tests {
		inc := tt.inc()
		tt.u.By = "UBOB"
		events, err := inc.RecordUpdate(tt.u, now)
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code, "INC-7 is already resolved, so it takes no more status updates.")
			if events != nil || !inc.LastUpdateAt.IsZero() {
				t.Errorf("%s: refused, yet recorded %v", tt.name, events)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var kinds []incident.EventKind
		for _, ev := range events {
			kinds = append(kinds, ev.Kind)
			if ev.Actor != "UBOB" || !ev.At.Equal(now) {
				t.Errorf("%s: event %+v", tt.name, ev)
			}
		}
		if !slices.Equal(kinds, tt.kinds) {
			t.Errorf("%s: events %v, want %v", tt.name, kinds, tt.kinds)
		}
		if inc.Status != tt.status || inc.Severity != tt.severity || !inc.NextUpdateAt.Equal(tt.next) ||
			!inc.LastUpdateAt.Equal(now) || inc.MissedUpdates != 0 {
			t.Errorf("%s: %+v", tt.name, inc)
		}
		last := events[len(events)-1]
		if last.Text != tt.u.Summary || !last.NextUpdate.Equal(tt.next) {
			t.Errorf("%s: update %+v", tt.name, last)
		}
		if tt.status == incident.Resolved && (inc.Resolution != "fixed" || !inc.ResolvedAt.Equal(now) || events[0].Text != "fixed") {
			t.Errorf("%s: resolution %q at %v, event %+v", tt.name, inc.Resolution, inc.ResolvedAt, events[0])
		}
	}
}

func TestResolve(t *testing.T) {
	now := lcAt(45)
	tests := []struct {
		name     string
		inc      func() *incident.Incident
		code     string
		errorHas string
	}{
		{"an open incident", lcOpen, "", ""},
		{"monitoring", func() *incident.Incident { i := lcOpen(); i.Status = incident.Monitoring; return i }, "", ""},
		{"resolving twice", lcResolved, incident.ECONFLICT, "INC-7 is already resolved (it was resolved at 2026-11-26 03:40 UTC); nothing changed."},
	}
	for _, tt := range tests {
		inc := tt.inc()
		from := inc.Status
		ev, err := inc.Resolve("rolled back", "UBOB", now)
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code, tt.errorHas)
			if !inc.ResolvedAt.Equal(lcAt(40)) || inc.Resolution != "" {
				t.Errorf("%s: refused, yet changed %+v", tt.name, inc)
			}
			continue
		}
		if err != nil || inc.Open() || !inc.ResolvedAt.Equal(now) || inc.Resolution != "rolled back" ||
			!inc.LastUpdateAt.Equal(now) || !inc.NextUpdateAt.IsZero() || inc.MissedUpdates != 0 {
			t.Errorf("%s: %+v, %v", tt.name, inc, err)
		}
		if ev.Kind != incident.EventResolved || ev.From != string(from) || ev.To != string(incident.Resolved) || ev.Text != "rolled back" || ev.Actor != "UBOB" {
			t.Errorf("%s: event %+v", tt.name, ev)
		}
	}
}

func TestSetStatus(t *testing.T) {
	tests := []struct {
		name     string
		from, to incident.Status
		code     string
	}{
		{"forward", incident.Investigating, incident.Monitoring, ""},
		{"back", incident.Monitoring, incident.Identified, ""},
		{"resolve", incident.Identified, incident.Resolved, ""},
		{"leave resolved", incident.Resolved, incident.Investigating, incident.ECONFLICT},
		{"resolve twice", incident.Resolved, incident.Resolved, incident.ECONFLICT},
	}
	for _, tt := range tests {
		inc := &incident.Incident{Number: 3, Status: tt.from}
		err := inc.SetStatus(tt.to, lcT0)
		if incident.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want code %q", tt.name, err, tt.code)
		}
		if tt.code == "" && inc.Status != tt.to || tt.code != "" && inc.Status != tt.from {
			t.Errorf("%s: status %s", tt.name, inc.Status)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := incident.Incident{Title: "x", Severity: "SEV2", Status: incident.Identified}
	tests := []struct {
		name string
		edit func(*incident.Incident)
		code string
	}{
		{"valid", func(*incident.Incident) {}, ""},
		{"blank title", func(i *incident.Incident) { i.Title = " \t" }, incident.EINVALID},
		{"no severity", func(i *incident.Incident) { i.Severity = "" }, incident.EINVALID},
		{"unknown status", func(i *incident.Incident) { i.Status = "closed" }, incident.EINVALID},
		{"no status", func(i *incident.Incident) { i.Status = "" }, incident.EINVALID},
	}
	for _, tt := range tests {
		inc := ok
		tt.edit(&inc)
		if got := incident.ErrorCode(inc.Validate()); got != tt.code {
			t.Errorf("%s: code %q, want %q", tt.name, got, tt.code)
		}
	}
}
