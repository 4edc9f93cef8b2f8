package incident_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/incident"
)

func TestStateNext(t *testing.T) {
	mid := incident.State{Severity: "SEV2", Status: incident.Identified, Declared: true}
	tests := []struct {
		name string
		ev   incident.Event
		want incident.State
	}{
		{"declaration starts investigating", incident.Event{Kind: incident.EventDeclared, To: "SEV1"}, incident.State{Severity: "SEV1", Status: incident.Investigating, Declared: true}},
		{"severity change", incident.Event{Kind: incident.EventSeverityChanged, From: "SEV2", To: "SEV3"}, incident.State{Severity: "SEV3", Status: incident.Identified, Declared: true}},
		{"status change", incident.Event{Kind: incident.EventStatusChanged, From: "identified", To: "monitoring"}, incident.State{Severity: "SEV2", Status: incident.Monitoring, Declared: true}},
		{"resolution", incident.Event{Kind: incident.EventResolved, From: "identified", To: "resolved"}, incident.State{Severity: "SEV2", Status: incident.Resolved, Declared: true}},
		{"an update changes nothing", incident.Event{Kind: incident.EventUpdate, Text: "still looking"}, mid},
		{"a note changes nothing", incident.Event{Kind: incident.EventNote, To: "SEV1"}, mid},
		{"a role changes nothing", incident.Event{Kind: incident.EventRoleHandoff, From: "UA", To: "UB", Role: "commander"}, mid},
	}
	for _, tt := range tests {
		if got := mid.Next(tt.ev); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestStateAt(t *testing.T) {
	// The incident as stored now: later changes than the events asked about.
	inc := &incident.Incident{Number: 1, Severity: "SEV3", Status: incident.Resolved}
	full := []incident.Event{
		{Seq: 1, Kind: incident.EventDeclared, To: "SEV2"},
		{Seq: 2, Kind: incident.EventSeverityChanged, From: "SEV2", To: "SEV1"},
		{Seq: 3, Kind: incident.EventStatusChanged, From: "investigating", To: "identified"},
		{Seq: 4, Kind: incident.EventUpdate, Text: "found it"},
		{Seq: 5, Kind: incident.EventSeverityChanged, From: "SEV1", To: "SEV3"},
		{Seq: 6, Kind: incident.EventResolved, From: "identified", To: "resolved", Text: "done"},
	}
	tests := []struct {
		name     string
		events   []incident.Event
		seq      uint64
		severity string
		status   incident.Status
		found    bool
	}{
		{"the declaration", full, 1, "SEV2", incident.Investigating, true},
		{"an update sees the changes before it", full, 4, "SEV1", incident.Identified, true},
		{"but not those after it", full, 5, "SEV3", incident.Identified, true},
		{"the resolution", full, 6, "SEV3", incident.Resolved, true},
		{"an event that does not exist", full, 99, "", "", false},
		{"a timeline without its declaration: the current state", full[3:], 4, "SEV3", incident.Resolved, true},
		{"an empty timeline", nil, 1, "", "", false},
	}
	for _, tt := range tests {
		st, ev, ok := inc.StateAt(tt.events, tt.seq)
		if ok != tt.found || st.Severity != tt.severity || st.Status != tt.status {
			t.Errorf("%s: %+v %v, want %s %s %v", tt.name, st, ok, tt.severity, tt.status, tt.found)
		}
		if ok && ev.Seq != tt.seq {
			t.Errorf("%s: event %d, want %d", tt.name, ev.Seq, tt.seq)
		}
	}
}

func TestReplayStopsWhenAsked(t *testing.T) {
	events := []incident.Event{
		{Seq: 1, Kind: incident.EventDeclared, To: "SEV2"},
		{Seq: 2, Kind: incident.EventSeverityChanged, From: "SEV2", To: "SEV1"},
		{Seq: 3, Kind: incident.EventResolved},
	}
	var seen []incident.State
	incident.Replay(events, func(ev incident.Event, before, after incident.State) bool {
		if len(seen) > 0 && before != seen[len(seen)-1] {
			t.Errorf("event %d: before %+v is not the last after %+v", ev.Seq, before, seen[len(seen)-1])
		}
		seen = append(seen, after)
		return ev.Seq < 2
	})
	if len(seen) != 2 || seen[1].Severity != "SEV1" || seen[1].Status != incident.Investigating {
		t.Errorf("replayed %+v, want two states ending SEV1 investigating", seen)
	}
}
