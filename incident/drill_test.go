package incident

import (
	"strings"
	"testing"
)

func TestChannelNameForMarksDrills(t *testing.T) {
	long := strings.Repeat("replication lag ", 10)
	tests := []struct {
		name  string
		inc   Incident
		want  string
		check func(string) bool
	}{
		{"real", Incident{Number: 7, Title: "DB failover"}, "inc-7-db-failover", nil},
		{"drill", Incident{Number: 7, Title: "DB failover", Drill: true}, "inc-7-drill-db-failover", nil},
		{"drill of emoji only", Incident{Number: 12, Title: "🔥🔥", Drill: true}, "inc-12-drill", nil},
		{"drill with a long title", Incident{Number: 123456, Title: long, Drill: true}, "", func(s string) bool {
			return strings.HasPrefix(s, "inc-123456-drill-replication-lag-") && len(s) <= MaxChannelName
		}},
	}
	for _, tt := range tests {
		got := tt.inc.ChannelNameFor("inc")
		if !ValidChannelName(got) {
			t.Errorf("%s: %q is not a valid channel name", tt.name, got)
		}
		if tt.check != nil {
			if !tt.check(got) {
				t.Errorf("%s: got %q", tt.name, got)
			}
		} else if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDrillsNeverPage(t *testing.T) {
	if !(&Incident{}).Pages() {
		t.Error("a real incident does not page")
	}
	if (&Incident{Drill: true}).Pages() {
		t.Error("a drill pages")
	}
}

func TestAnnouncementsChannelFor(t *testing.T) {
	real, drill := &Incident{}, &Incident{Drill: true}
	tests := []struct {
		a           Announcements
		real, drill string
	}{
		{Announcements{Channel: "CANN", Drills: "CDRILL"}, "CANN", "CDRILL"},
		{Announcements{Channel: "CANN"}, "CANN", ""}, // a drill never falls back to the announce channel
		{Announcements{Drills: "CDRILL"}, "", "CDRILL"},
		{Announcements{}, "", ""},
	}
	for _, tt := range tests {
		if got := tt.a.ChannelFor(real); got != tt.real {
			t.Errorf("%+v: real incident announced in %q, want %q", tt.a, got, tt.real)
		}
		if got := tt.a.ChannelFor(drill); got != tt.drill {
			t.Errorf("%+v: drill announced in %q, want %q", tt.a, got, tt.drill)
		}
	}
}
