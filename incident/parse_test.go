package incident_test

import (
	"strconv"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in   string
		want incident.Status
		code string
	}{
		{"investigating", incident.Investigating, ""},
		{"Identified", incident.Identified, ""},
		{"MONITORING", incident.Monitoring, ""},
		{"resolved", incident.Resolved, ""},
		{"", "", incident.EINVALID},
		{"fixed", "", incident.EINVALID},
		{" monitoring", "", incident.EINVALID}, // the caller trims
	}
	for _, tt := range tests {
		got, err := incident.ParseStatus(tt.in)
		if tt.code != "" {
			wantCode(t, "ParseStatus("+tt.in+")", err, tt.code, "use one of investigating, identified, monitoring, resolved")
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		code string
	}{
		{"INC-12", 12, ""},
		{"inc-3", 3, ""},
		{" INC-7 ", 7, ""},
		{"42", 42, ""},
		{"INC-0", 0, incident.EINVALID},
		{"0", 0, incident.EINVALID},
		{"INC-", 0, incident.EINVALID},
		{"INC-x", 0, incident.EINVALID},
		{"INC--1", 0, incident.EINVALID},
		{"", 0, incident.EINVALID},
	}
	for _, tt := range tests {
		got, err := incident.ParseID(tt.in)
		if tt.code != "" {
			wantCode(t, "ParseID("+tt.in+")", err, tt.code, "IDs look like INC-12")
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseID(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
		if back := incident.FormatID(got); back != "INC-"+strconv.FormatUint(tt.want, 10) {
			t.Errorf("FormatID(%d) = %q", got, back)
		}
	}
}

func TestSeverities(t *testing.T) {
	s := incident.DefaultSettings()
	tests := []struct {
		name  string
		found string // the configured name it resolves to, "" for none
		rank  int
	}{
		{"SEV1", "SEV1", 0},
		{"sev2", "SEV2", 1},
		{"Sev4", "SEV4", 3},
		{"SEV5", "", -1},
		{"", "", -1},
	}
	for _, tt := range tests {
		sev, ok := s.Severity(tt.name)
		if ok != (tt.found != "") || sev.Name != tt.found {
			t.Errorf("Severity(%q) = %q, %v; want %q", tt.name, sev.Name, ok, tt.found)
		}
		if got := s.SeverityRank(tt.name); got != tt.rank {
			t.Errorf("SeverityRank(%q) = %d, want %d", tt.name, got, tt.rank)
		}
		parsed, err := s.ParseSeverity(tt.name)
		if tt.found == "" {
			wantCode(t, "ParseSeverity("+tt.name+")", err, incident.EINVALID, "is not a severity; use one of SEV1, SEV2, SEV3, SEV4")
		} else if err != nil || parsed.Name != tt.found {
			t.Errorf("ParseSeverity(%q) = %q, %v", tt.name, parsed.Name, err)
		}
	}
	if got := s.LeastSevere().Name; got != "SEV4" {
		t.Errorf("LeastSevere = %q, want SEV4", got)
	}
	if got := (incident.Settings{}).LeastSevere(); got != (incident.Severity{}) {
		t.Errorf("LeastSevere without severities = %+v, want none", got)
	}
}

func TestPublishedType(t *testing.T) {
	tests := []struct {
		kind incident.EventKind
		want string
	}{
		{incident.EventDeclared, incident.TypeDeclared},
		{incident.EventUpdate, incident.TypeUpdated},
		{incident.EventSeverityChanged, incident.TypeSeverityChanged},
		{incident.EventRoleAssigned, incident.TypeRoleAssigned},
		{incident.EventRoleHandoff, incident.TypeRoleAssigned},
		{incident.EventResolved, incident.TypeResolved},
		{incident.EventPostmortem, incident.TypePostmortemDrafted},
		{incident.EventAction, incident.TypeActionItemCreated},
		// Published through the update that comes with it.
		{incident.EventStatusChanged, ""},
		{incident.EventNote, ""},
		{incident.EventMessagePinned, ""},
		{incident.EventReminder, ""},
		{incident.EventSnoozed, ""},
		{incident.EventArchived, ""},
		{incident.EventDeliveryFailed, ""},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := incident.PublishedType(tt.kind)
		if got != tt.want {
			t.Errorf("PublishedType(%s) = %q, want %q", tt.kind, got, tt.want)
		}
		seen[got] = true
	}
	for _, typ := range incident.PublishedTypes() {
		if !seen[typ] {
			t.Errorf("published type %s comes from no event kind", typ)
		}
	}
}
