package incident_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/incident"
)

func TestMissUpdate(t *testing.T) {
	tests := []struct {
		name   string
		inc    func() *incident.Incident
		now    time.Time
		since  time.Time
		missed int
		text   string
		code   string
	}{
		{"quiet since the declaration", lcOpen, lcAt(30), lcT0, 2, "No status update for 30m; reminder 2 in a row.", ""},
		{"quiet since the last update", func() *incident.Incident { i := lcOpen(); i.LastUpdateAt, i.MissedUpdates = lcAt(10), 0; return i },
			lcAt(100), lcAt(10), 1, "No status update for 1h 30m; reminder 1 in a row.", ""},
		{"a resolved incident has no reminders", lcResolved, lcAt(60), time.Time{}, 0, "", incident.ECONFLICT},
	}
	for _, tt := range tests {
		inc := tt.inc()
		since, ev, err := inc.MissUpdate(tt.now)
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code, "resolved")
			if inc.MissedUpdates != 0 {
				t.Errorf("%s: counted a reminder", tt.name)
			}
			continue
		}
		if err != nil || !since.Equal(tt.since) || inc.MissedUpdates != tt.missed || ev.Kind != incident.EventReminder || ev.Text != tt.text || !ev.At.Equal(tt.now) {
			t.Errorf("%s: since %v, missed %d, %+v, %v", tt.name, since, inc.MissedUpdates, ev, err)
		}
	}
}

func TestSnooze(t *testing.T) {
	tests := []struct {
		name      string
		inc       func() *incident.Incident
		due       time.Time
		scheduled bool
		d         time.Duration
		next      time.Time
		code      string
		errorHas  string
	}{
		{"from the due time", lcOpen, lcAt(30), true, 15 * time.Minute, lcAt(45), "", ""},
		{"an overdue reminder: from now", lcOpen, lcAt(5), true, time.Hour, lcAt(10 + 60), "", ""},
		{"nothing scheduled", lcOpen, time.Time{}, false, 15 * time.Minute, time.Time{}, incident.ECONFLICT, "INC-7 has no status-update reminder scheduled (its severity, SEV2, has none), so there is nothing to snooze."},
		{"a resolved incident", lcResolved, lcAt(30), true, 15 * time.Minute, time.Time{}, incident.ECONFLICT, "INC-7 is resolved, so there are no reminders left to snooze."},
	}
	for _, tt := range tests {
		inc := tt.inc()
		before := inc.NextUpdateAt
		next, ev, err := inc.Snooze(tt.d, tt.due, tt.scheduled, "UBOB", lcAt(10))
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code, tt.errorHas)
			if !inc.NextUpdateAt.Equal(before) {
				t.Errorf("%s: refused, yet moved the next update", tt.name)
			}
			continue
		}
		if err != nil || !next.Equal(tt.next) || !inc.NextUpdateAt.Equal(tt.next) {
			t.Errorf("%s: next %v (incident %v), %v", tt.name, next, inc.NextUpdateAt, err)
		}
		spelled := incident.FormatDuration(tt.d, incident.DurationShort)
		if ev.Kind != incident.EventSnoozed || ev.To != spelled || ev.Text != "Status-update reminder snoozed for "+spelled+"." || ev.Actor != "UBOB" {
			t.Errorf("%s: event %+v", tt.name, ev)
		}
	}
}

func TestTimelineEntries(t *testing.T) {
	long := strings.Repeat("é", incident.MaxTimelineText+10)
	tests := []struct {
		name string
		make func(*incident.Incident) (incident.Event, error)
		want incident.Event
		code string
	}{
		{"a note", func(i *incident.Incident) (incident.Event, error) {
			return i.Note("  restarted db-1 \n", "UBOB", lcAt(3))
		},
			incident.Event{At: lcAt(3), Kind: incident.EventNote, Actor: "UBOB", Text: "restarted db-1"}, ""},
		{"a blank note", func(i *incident.Incident) (incident.Event, error) { return i.Note(" \n", "UBOB", lcAt(3)) }, incident.Event{}, incident.EINVALID},
		{"a long note is clipped", func(i *incident.Incident) (incident.Event, error) { return i.Note(long, "UBOB", lcAt(3)) },
			incident.Event{At: lcAt(3), Kind: incident.EventNote, Actor: "UBOB", Text: long[:2*(incident.MaxTimelineText-1)] + "…"}, ""},
		{"a captured message keeps its own time, in UTC", func(i *incident.Incident) (incident.Event, error) {
			return i.Capture(incident.CapturedMessage{At: lcAt(-5).In(time.FixedZone("X", 3600)), Author: "UANA", Text: " 502s from lb-2 ", Link: "https://x.slack.com/p1"}), nil
		}, incident.Event{At: lcAt(-5), Kind: incident.EventMessagePinned, Actor: "UANA", Text: "502s from lb-2", Link: "https://x.slack.com/p1"}, ""},
		{"a postmortem draft", func(i *incident.Incident) (incident.Event, error) { return i.RecordPostmortem("UBOB", lcAt(50)), nil },
			incident.Event{At: lcAt(50), Kind: incident.EventPostmortem, Actor: "UBOB"}, ""},
	}
	for _, tt := range tests {
		ev, err := tt.make(lcResolved())
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code, "")
			continue
		}
		if err != nil || ev != tt.want {
			t.Errorf("%s: %+v, %v\nwant %+v", tt.name, ev, err, tt.want)
		}
		if utf8.RuneCountInString(ev.Text) > incident.MaxTimelineText {
			t.Errorf("%s: %d runes kept", tt.name, utf8.RuneCountInString(ev.Text))
		}
	}
	inc := lcResolved()
	inc.RecordPostmortem("UBOB", lcAt(50))
	if !inc.PostmortemAt.Equal(lcAt(50)) {
		t.Errorf("postmortem at %v", inc.PostmortemAt)
	}
}

func TestAddAction(t *testing.T) {
	tests := []struct {
		name        string
		text, owner string
		code        string
	}{
		{"owned", "alert on replication lag", "UANA", ""},
		{"nobody owns it yet", "write the runbook", "", ""},
		{"no description", "  ", "UANA", incident.EINVALID},
	}
	for _, tt := range tests {
		inc := lcResolved() // follow-ups often come after resolution
		item, ev, err := inc.AddAction(tt.text, tt.owner, "UBOB", lcAt(60))
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code, "")
			if len(inc.Actions) != 0 {
				t.Errorf("%s: refused, yet recorded", tt.name)
			}
			continue
		}
		want := incident.ActionItem{Text: tt.text, Owner: tt.owner, CreatedBy: "UBOB", CreatedAt: lcAt(60)}
		if err != nil || item != want || len(inc.Actions) != 1 || inc.Actions[0] != want {
			t.Errorf("%s: %+v %+v, %v", tt.name, item, inc.Actions, err)
		}
		if ev.Kind != incident.EventAction || ev.Text != tt.text || ev.To != tt.owner || ev.Actor != "UBOB" {
			t.Errorf("%s: event %+v", tt.name, ev)
		}
	}
}

func TestArchive(t *testing.T) {
	tests := []struct {
		name string
		inc  func() *incident.Incident
		by   string
		text string
		code string
	}{
		{"the postmortem sufficed", lcResolved, "", "Resolved 2 days ago and its postmortem is drafted; channel archived.", ""},
		{"the commander confirmed", lcResolved, "UDECL", "Resolved 2 days ago and the commander chose to archive it without a postmortem; channel archived.", ""},
		{"an open incident", lcOpen, "", "", incident.ECONFLICT},
		{"archived already", func() *incident.Incident { i := lcResolved(); i.ArchivedAt = lcAt(100); return i }, "", "", incident.ECONFLICT},
	}
	now := lcAt(40).Add(50 * time.Hour)
	for _, tt := range tests {
		inc := tt.inc()
		inc.WaitForArchive()
		if !inc.ArchiveWaiting {
			t.Fatalf("%s: not waiting", tt.name)
		}
		ev, err := inc.Archive(tt.by, now)
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code, "")
			if !inc.ArchiveWaiting {
				t.Errorf("%s: refused, yet changed", tt.name)
			}
			continue
		}
		if err != nil || !inc.ArchivedAt.Equal(now) || inc.ArchiveWaiting || ev.Kind != incident.EventArchived || ev.Actor != tt.by || ev.Text != tt.text {
			t.Errorf("%s: %+v, %+v, %v", tt.name, inc, ev, err)
		}
	}
}
