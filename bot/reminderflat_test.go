package bot

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// TestReminderRendersFlat: a reminder renders from the incident's view
// itself. In a struct embedding the view, text/template looked up each
// field through reflect's FieldByNameFunc: in a burst of 10,000 reminders
// falling due at once, every one of them paid for it.
func TestReminderRendersFlat(t *testing.T) {
	b := reminderBot(t)
	declared := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	inc := &incident.Incident{Number: 7, Title: "checkout returns 500s", Severity: "SEV1", Status: incident.Investigating,
		DeclaredBy: "U1", StartedAt: declared, DeclaredAt: declared, Roles: map[string]string{"commander": "UCMDR0001"}}
	pl := commands.ReminderPayload{Kind: commands.ReminderUpdate, At: declared.Add(15 * time.Minute), Since: declared, Missed: 2}
	// Most a render may allocate: flat, 16, 6 and 9; with the view
	// embedded in another struct, 26, 21 and 24. (The race detector's
	// pools drop some buffers: a few more.)
	for _, tc := range []struct {
		name string
		most float64
	}{{"reminder.tmpl", 21}, {"reminder_escalation.tmpl", 12}, {"postmortem_nudge.tmpl", 15}} {
		v := b.reminderView(inc, pl)
		allocs := testing.AllocsPerRun(50, func() {
			if _, err := b.render(tc.name, v); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > tc.most {
			t.Errorf("%s: %.0f allocations a render, want at most %.0f", tc.name, allocs, tc.most)
		}
	}
}
