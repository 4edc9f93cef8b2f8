package incident_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

var lcT0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func lcAt(m int) time.Time { return lcT0.Add(time.Duration(m) * time.Minute) }

// lcOpen is an incident declared at lcT0 at SEV2 (30m reminders), with one
// reminder missed.
func lcOpen() *incident.Incident {
	return &incident.Incident{
		Number: 7, Title: "checkout 500s", Severity: "SEV2", Status: incident.Investigating, DeclaredBy: "UDECL",
		Roles: map[string]string{incident.RoleCommander: "UDECL"}, StartedAt: lcT0, DeclaredAt: lcT0,
		NextUpdateAt: lcAt(30), MissedUpdates: 1,
	}
}

func lcResolved() *incident.Incident {
	inc := lcOpen()
	inc.Status, inc.ResolvedAt, inc.NextUpdateAt, inc.MissedUpdates = incident.Resolved, lcAt(40), time.Time{}, 0
	return inc
}

func wantCode(t *testing.T, name string, err error, code, text string) {
	t.Helper()
	if incident.ErrorCode(err) != code || !strings.Contains(incident.ErrorMessage(err), text) {
		t.Errorf("%s: error %v (%s), want %s containing %q", name, err, incident.ErrorCode(err), code, text)
	}
}

func TestDeclare(t *testing.T) {
	settings := incident.DefaultSettings()
	tests := []struct {
		name     string
		d        incident.Declaration
		code     string
		nextDue  time.Time
		errorHas string
	}{
		{"a declaration", incident.Declaration{Title: "checkout 500s", Severity: "SEV2", DeclaredBy: "UA", Commander: "UB"}, "", lcT0.Add(30 * time.Minute), ""},
		{"a severity without reminders promises no update", incident.Declaration{Title: "typo", Severity: "SEV4", DeclaredBy: "UA", Commander: "UA"}, "", time.Time{}, ""},
		{"no title", incident.Declaration{Title: "  ", Severity: "SEV2", DeclaredBy: "UA", Commander: "UA"}, incident.EINVALID, time.Time{}, "title"},
		{"no severity", incident.Declaration{Title: "x", DeclaredBy: "UA", Commander: "UA"}, incident.EINVALID, time.Time{}, "severity"},
		{"nobody declared it", incident.Declaration{Title: "x", Severity: "SEV2", Commander: "UA"}, incident.EINVALID, time.Time{}, "declaring user"},
	}
	for _, tt := range tests {
		inc, events, err := incident.Declare(tt.d, settings, lcT0)
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code, tt.errorHas)
			if inc != nil || events != nil {
				t.Errorf("%s: refused, yet made %v %v", tt.name, inc, events)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if inc.Status != incident.Investigating || inc.Holder(incident.RoleCommander) != tt.d.Commander ||
			!inc.DeclaredAt.Equal(lcT0) || !inc.StartedAt.Equal(lcT0) || !inc.NextUpdateAt.Equal(tt.nextDue) {
			t.Errorf("%s: %+v", tt.name, inc)
		}
		if len(events) != 2 || events[0].Kind != incident.EventDeclared || events[0].To != tt.d.Severity || events[0].Text != tt.d.Title ||
			events[1].Kind != incident.EventRoleAssigned || events[1].Role != incident.RoleCommander || events[1].To != tt.d.Commander || events[1].Actor != tt.d.DeclaredBy {
			t.Errorf("%s: events %+v", tt.name, events)
		}
	}
}

// A declaration no person made may leave the commander unassigned, and
// only when it says so.
func TestDeclareUnassigned(t *testing.T) {
	d := incident.Declaration{Title: "CheckoutDown", Severity: "SEV1", DeclaredBy: "alertmanager"}
	if _, _, err := incident.Declare(d, incident.DefaultSettings(), lcT0); incident.ErrorCode(err) != incident.EINVALID {
		t.Fatalf("no commander, not Unassigned: %v", err)
	}
	d.Unassigned = true
	inc, events, err := incident.Declare(d, incident.DefaultSettings(), lcT0)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Holder(incident.RoleCommander) != "" || len(inc.Roles) != 0 || len(events) != 1 || events[0].Kind != incident.EventDeclared {
		t.Fatalf("roles %v, events %+v", inc.Roles, events)
	}
}

func TestAssignRole(t *testing.T) {
	tests := []struct {
		name       string
		inc        func() *incident.Incident
		role, user string
		kind       incident.EventKind
		from       string
		changed    bool
		code       string
	}{
		{"a role nobody held", lcOpen, incident.RoleComms, "UCOMMS", incident.EventRoleAssigned, "", true, ""},
		{"a handoff", lcOpen, incident.RoleCommander, "UNEW", incident.EventRoleHandoff, "UDECL", true, ""},
		{"to its holder: no change", lcOpen, incident.RoleCommander, "UDECL", "", "", false, ""},
		{"a resolved incident's roles still change", lcResolved, incident.RoleCommander, "UNEW", incident.EventRoleHandoff, "UDECL", true, ""},
		{"an incident with no roles yet", func() *incident.Incident { i := lcOpen(); i.Roles = nil; return i }, incident.RoleOps, "UOPS", incident.EventRoleAssigned, "", true, ""},
		{"nobody to take it", lcOpen, incident.RoleComms, "", "", "", false, incident.EINVALID},
	}
	for _, tt := range tests {
		inc := tt.inc()
		ev, changed, err := inc.AssignRole(tt.role, tt.user, "UBY", lcAt(5))
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code, "")
			continue
		}
		if err != nil || changed != tt.changed || ev.Kind != tt.kind || ev.From != tt.from {
			t.Errorf("%s: %+v changed %v, %v", tt.name, ev, changed, err)
		}
		if inc.Holder(tt.role) != tt.user {
			t.Errorf("%s: %s held by %q", tt.name, tt.role, inc.Holder(tt.role))
		}
		if changed && (ev.Actor != "UBY" || ev.To != tt.user || ev.Role != tt.role || !ev.At.Equal(lcAt(5))) {
			t.Errorf("%s: event %+v", tt.name, ev)
		}
	}
}

func TestChangeSeverity(t *testing.T) {
	settings := incident.DefaultSettings()
	sev := func(name string) incident.Severity { s, _ := settings.Severity(name); return s }
	tests := []struct {
		name     string
		inc      func() *incident.Incident
		to       string
		nextDue  time.Time
		code     string
		errorHas string
	}{
		{"escalation", lcOpen, "SEV1", lcAt(10 + 15), "", ""},
		{"to a severity without reminders", lcOpen, "SEV4", time.Time{}, "", ""},
		{"the current severity", lcOpen, "SEV2", lcAt(30), incident.EINVALID, "INC-7 is already SEV2; nothing changed. To change it, name another severity: SEV1, SEV3, SEV4."},
		{"a resolved incident", lcResolved, "SEV1", time.Time{}, incident.ECONFLICT, "INC-7 is resolved, so its severity can no longer change."},
	}
	for _, tt := range tests {
		inc := tt.inc()
		before := *inc
		ev, err := inc.ChangeSeverity(settings, sev(tt.to), "UBY", lcAt(10))
		if tt.code != "" {
			wantCode(t, tt.name, err, tt.code, tt.errorHas)
			if inc.Severity != before.Severity || !inc.NextUpdateAt.Equal(before.NextUpdateAt) {
				t.Errorf("%s: refused, yet changed to %s due %v", tt.name, inc.Severity, inc.NextUpdateAt)
			}
			continue
		}
		if err != nil || inc.Severity != tt.to || !inc.NextUpdateAt.Equal(tt.nextDue) {
			t.Errorf("%s: %s due %v, %v", tt.name, inc.Severity, inc.NextUpdateAt, err)
		}
		if ev.Kind != incident.EventSeverityChanged || ev.From != "SEV2" || ev.To != tt.to || ev.Actor != "UBY" {
			t.Errorf("%s: event %+v", tt.name, ev)
		}
	}
}

func TestEscalates(t *testing.T) {
	s := incident.DefaultSettings()
	for _, tt := range []struct {
		from, to string
		want     bool
	}{
		{"SEV2", "SEV1", true}, {"SEV1", "SEV2", false}, {"SEV3", "SEV3", false}, {"RETIRED", "SEV4", true},
	} {
		if got := s.Escalates(tt.from, tt.to); got != tt.want {
			t.Errorf("Escalates(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}
