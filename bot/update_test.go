package bot

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

func TestMessageTime(t *testing.T) {
	tests := []struct {
		ts   string
		want time.Time
	}{
		{"1764126000.000100", time.Unix(1764126000, 100_000).UTC()},
		{"1764126000.5", time.Unix(1764126000, 500_000_000).UTC()},
		{"1764126000", time.Unix(1764126000, 0).UTC()},
		{"", time.Time{}},
		{"abc.123", time.Time{}},
		{"1.1234567", time.Time{}},
		{"1.12a", time.Time{}},
	}
	for _, tt := range tests {
		if got := messageTime(tt.ts); !got.Equal(tt.want) {
			t.Errorf("messageTime(%q) = %v, want %v", tt.ts, got, tt.want)
		}
	}
}

// An update's message shows the severity and status the incident had when
// it was posted, even when a later change is already stored.
func TestUpdateAsOfReplaysTheTimeline(t *testing.T) {
	b := &renderer{cfg: Config{Settings: incident.DefaultSettings()}}
	start := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	inc := &incident.Incident{Number: 1, Severity: "SEV3", Status: incident.Resolved, StartedAt: start}
	at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
	events := []incident.Event{
		{Seq: 1, At: at(0), Kind: incident.EventDeclared, To: "SEV2"},
		{Seq: 2, At: at(5), Kind: incident.EventSeverityChanged, From: "SEV2", To: "SEV1"},
		{Seq: 3, At: at(5), Kind: incident.EventStatusChanged, From: "investigating", To: "identified"},
		{Seq: 4, At: at(5), Kind: incident.EventUpdate, Actor: "UBOB", Text: "found it", NextSteps: "roll back", NextUpdate: at(20)},
		{Seq: 5, At: at(30), Kind: incident.EventSeverityChanged, From: "SEV1", To: "SEV3"},
		{Seq: 6, At: at(90), Kind: incident.EventResolved, From: "identified", To: "resolved", Text: "done"},
	}
	tests := []struct {
		seq                 uint64
		severity, status    string
		final               bool
		text, next, elapsed string
	}{
		{4, "SEV1", "Identified", false, "found it", "03:20 UTC", "5m"},
		{6, "SEV3", "Resolved", true, "done", "", "1h 30m"},
	}
	for _, tt := range tests {
		uv, ok := b.updateAsOf(inc, events, tt.seq)
		if !ok {
			t.Fatalf("event %d not found", tt.seq)
		}
		if uv.Severity != tt.severity || uv.Status != tt.status || uv.Final != tt.final || uv.Text != tt.text || uv.Elapsed != tt.elapsed {
			t.Errorf("event %d: %+v", tt.seq, uv)
		}
		if (tt.next == "") != (uv.NextUpdate == "") || !strings.Contains(uv.NextUpdate, tt.next) {
			t.Errorf("event %d: next update %q, want one at %s", tt.seq, uv.NextUpdate, tt.next)
		}
	}
	if _, ok := b.updateAsOf(inc, events, 99); ok {
		t.Error("found an event that does not exist")
	}
}

func FuzzMessageTime(f *testing.F) {
	for _, s := range []string{"1764126000.000100", "1", "", ".", "-1.5", "9999999999999999999.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ts string) {
		got := messageTime(ts) // must not panic, whatever Slack sends
		if got.IsZero() {
			return
		}
		secs, _, _ := strings.Cut(ts, ".")
		if want, err := strconv.ParseInt(secs, 10, 64); err != nil || got.Unix() != want {
			t.Fatalf("messageTime(%q) = %v, seconds %d", ts, got, got.Unix())
		}
	})
}
