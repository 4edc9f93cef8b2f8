package incident

import (
	"testing"
	"time"
)

func TestArchiveDecision(t *testing.T) {
	resolved := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	week := 168 * time.Hour
	tests := []struct {
		name      string
		inc       Incident
		after     time.Duration
		at        time.Time
		confirmed bool
		want      ArchiveDecision
	}{
		{"off", Incident{Status: Resolved, ResolvedAt: resolved, PostmortemAt: resolved}, 0, resolved.Add(1000 * week), false, ArchiveNever},
		{"open", Incident{Status: Monitoring}, week, resolved.Add(week), true, ArchiveNever},
		{"already archived", Incident{Status: Resolved, ResolvedAt: resolved, PostmortemAt: resolved, ArchivedAt: resolved.Add(week)}, week, resolved.Add(2 * week), true, ArchiveNever},
		{"too early", Incident{Status: Resolved, ResolvedAt: resolved, PostmortemAt: resolved}, week, resolved.Add(week - time.Second), false, ArchiveNotYet},
		{"no postmortem", Incident{Status: Resolved, ResolvedAt: resolved}, week, resolved.Add(week), false, ArchiveWait},
		{"postmortem drafted", Incident{Status: Resolved, ResolvedAt: resolved, PostmortemAt: resolved}, week, resolved.Add(week), false, ArchiveNow},
		{"commander confirmed", Incident{Status: Resolved, ResolvedAt: resolved}, week, resolved.Add(week), true, ArchiveNow},
		{"confirmed too early", Incident{Status: Resolved, ResolvedAt: resolved}, week, resolved.Add(time.Hour), true, ArchiveNotYet},
	}
	for _, tt := range tests {
		if got := tt.inc.ArchiveDecision(tt.after, tt.at, tt.confirmed); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
