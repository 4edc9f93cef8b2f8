package incident

import (
	"strings"
	"testing"
)

func TestResolveRole(t *testing.T) {
	s := DefaultSettings()
	s.Roles = append(s.Roles, Role{ID: "scribe", Name: "Scribe"}, Role{ID: "liaison", Name: "Customer Liaison"})
	tests := []struct {
		word    string
		want    string   // role ID, "" for an error
		wantErr []string // what the error must say
	}{
		{"commander", "commander", nil},
		{"COMMS", "comms", nil},
		{" ops ", "ops", nil},
		{"scribe", "scribe", nil},
		{"IC", "commander", nil},         // initials of Incident Commander
		{"incident", "commander", nil},   // prefix of the name
		{"communications", "comms", nil}, // prefix of the name
		{"Operations", "ops", nil},       // prefix of the name, any case
		{"o", "ops", nil},                // ID and name of the same role
		{"lia", "liaison", nil},          // prefix of a configured ID
		{"customer", "liaison", nil},     // prefix of a configured name
		{"scr", "scribe", nil},           // prefix of a configured role
		{"comm", "", []string{"`commander`", "`comms`", "type more"}},
		{"c", "", []string{"`commander`", "`comms`", "`liaison`"}},
		{"cook", "", []string{`"cook" is not a role`, "`commander` (Incident Commander)", "`comms` (Communications Lead)", "`ops` (Operations Lead)", "`scribe`", "`liaison` (Customer Liaison)"}},
		{"", "", []string{"say which role", "`ops`"}},
		{strings.Repeat("x", 100), "", []string{"…", "is not a role"}},
	}
	for _, tt := range tests {
		got, err := s.ResolveRole(tt.word)
		if tt.want != "" {
			if err != nil || got.ID != tt.want {
				t.Errorf("ResolveRole(%q) = %+v, %v; want %s", tt.word, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("ResolveRole(%q) = %+v, want an error", tt.word, got)
			continue
		}
		if ErrorCode(err) != EINVALID {
			t.Errorf("ResolveRole(%q) error code %q, want %q", tt.word, ErrorCode(err), EINVALID)
		}
		for _, want := range tt.wantErr {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("ResolveRole(%q) error %q lacks %q", tt.word, err, want)
			}
		}
		if strings.Contains(err.Error(), "(Scribe)") {
			t.Errorf("ResolveRole(%q) error %q repeats a name equal to its ID", tt.word, err)
		}
	}
}

func TestRoleName(t *testing.T) {
	s := DefaultSettings()
	s.Roles = append(s.Roles, Role{ID: "scribe"})
	for id, want := range map[string]string{"comms": "Communications Lead", "scribe": "scribe", "gone": "gone"} {
		if got := s.RoleName(id); got != want {
			t.Errorf("RoleName(%q) = %q, want %q", id, got, want)
		}
	}
}
