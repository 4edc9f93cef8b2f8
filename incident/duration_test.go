package incident_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

func TestFormatDuration(t *testing.T) {
	const (
		s = time.Second
		m = time.Minute
		h = time.Hour
	)
	tests := []struct {
		style incident.DurationStyle
		d     time.Duration
		want  string
	}{
		// Values: what the update form's options and the snooze buttons carry.
		{incident.DurationValue, 0, "0s"},
		{incident.DurationValue, -m, "0s"},
		{incident.DurationValue, s, "1s"},
		{incident.DurationValue, 15 * m, "15m"},
		{incident.DurationValue, h, "1h"},
		{incident.DurationValue, 90 * m, "1h30m"},
		{incident.DurationValue, 25*h + m, "25h1m"},
		{incident.DurationValue, 90 * s, "1m30s"},
		// Short: reminder and snooze texts on the timeline.
		{incident.DurationShort, 0, "0s"},
		{incident.DurationShort, 20 * s, "20s"},
		{incident.DurationShort, 1499 * time.Millisecond, "1s"},
		{incident.DurationShort, 45*m + 59*s, "45m"},
		{incident.DurationShort, h, "1h"},
		{incident.DurationShort, 90 * m, "1h 30m"},
		{incident.DurationShort, 50 * h, "50h"},
		{incident.DurationShort, -90 * s, "-90s"},
		// Clock: ages and elapsed times in messages.
		{incident.DurationClock, 30 * s, "30s"},
		{incident.DurationClock, 42 * m, "42m"},
		{incident.DurationClock, h, "1h 0m"},
		{incident.DurationClock, 26*h + 5*m + 40*s, "26h 5m"},
		{incident.DurationClock, -2 * h, "-7200s"},
		// Precise: the postmortem and statistics.
		{incident.DurationPrecise, 0, "0s"},
		{incident.DurationPrecise, 45 * s, "45s"},
		{incident.DurationPrecise, 12 * m, "12m"},
		{incident.DurationPrecise, 12*m + 30*s, "12m 30s"},
		{incident.DurationPrecise, h + 5*m + 59*s, "1h 5m"},
		{incident.DurationPrecise, 50 * h, "2d 2h 0m"},
		{incident.DurationPrecise, 24*h + 5*m, "1d 0h 5m"},
		{incident.DurationPrecise, -3 * m, "3m"},
		{incident.DurationPrecise, 1499 * time.Millisecond, "1s"},
		// Words: the update form's choices.
		{incident.DurationWords, s, "1 second"},
		{incident.DurationWords, 15 * m, "15 minutes"},
		{incident.DurationWords, h, "1 hour"},
		{incident.DurationWords, 4 * h, "4 hours"},
		{incident.DurationWords, 90 * m, "90 minutes"},
		{incident.DurationWords, 0, "0 hours"},
		// Age: how long ago an incident was resolved.
		{incident.DurationAge, 47*h + 59*m, "47h 59m"},
		{incident.DurationAge, 48 * h, "2 days"},
		{incident.DurationAge, 7*24*h + 23*h, "7 days"},
		{incident.DurationAge, 5 * m, "5m"},
	}
	for _, tt := range tests {
		if got := incident.FormatDuration(tt.d, tt.style); got != tt.want {
			t.Errorf("FormatDuration(%v, style %d) = %q, want %q", tt.d, tt.style, got, tt.want)
		}
	}
}

// Values go into forms and buttons and come back through
// time.ParseDuration: every one must read back as itself.
func TestFormatDurationValueReadsBack(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 90 * time.Second, 15 * time.Minute, 90 * time.Minute, 2 * time.Hour, 25*time.Hour + time.Minute} {
		back, err := time.ParseDuration(incident.FormatDuration(d, incident.DurationValue))
		if err != nil || back != d {
			t.Errorf("FormatDuration(%v) = %q reads back as %v, %v", d, incident.FormatDuration(d, incident.DurationValue), back, err)
		}
	}
}

func TestStatusLabel(t *testing.T) {
	for st, want := range map[incident.Status]string{
		incident.Investigating: "Investigating", incident.Identified: "Identified",
		incident.Monitoring: "Monitoring", incident.Resolved: "Resolved", "": "",
	} {
		if got := st.Label(); got != want {
			t.Errorf("%q.Label() = %q, want %q", st, got, want)
		}
	}
}
