package incident_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/incident"
)

func TestVisibleTo(t *testing.T) {
	const declarer, commander, member, stranger = "UDECL", "UCMDR", "UMEMB", "USTRA"
	roles := map[string]string{incident.RoleCommander: commander}
	public := &incident.Incident{Number: 1, DeclaredBy: declarer, Roles: roles, ChannelID: "C1"}
	private := &incident.Incident{Number: 2, DeclaredBy: declarer, Roles: roles, ChannelID: "G2", Private: true}
	unborn := &incident.Incident{Number: 3, DeclaredBy: declarer, Roles: roles, Private: true}
	tests := []struct {
		name   string
		inc    *incident.Incident
		viewer string
		m      incident.Membership
		want   bool
		needs  bool
	}{
		{"public, anyone", public, stranger, incident.MembershipUnknown, true, false},
		{"public, not a member", public, stranger, incident.NotMember, true, false},
		{"public, anonymous", public, "", incident.MembershipUnknown, true, false},
		{"private, member", private, member, incident.Member, true, true},
		{"private, not a member", private, stranger, incident.NotMember, false, true},
		{"private, membership unknown", private, member, incident.MembershipUnknown, false, true},
		{"private, declarer who left", private, declarer, incident.NotMember, false, true},
		{"private, commander unknown", private, commander, incident.MembershipUnknown, false, true},
		{"private, anonymous", private, "", incident.Member, false, false},
		{"private without channel, declarer", unborn, declarer, incident.MembershipUnknown, true, false},
		{"private without channel, commander", unborn, commander, incident.MembershipUnknown, true, false},
		{"private without channel, stranger", unborn, stranger, incident.MembershipUnknown, false, false},
		{"private without channel, stranger said to be a member", unborn, stranger, incident.Member, false, false},
		{"private without channel, anonymous", unborn, "", incident.MembershipUnknown, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.inc.VisibleTo(tt.viewer, tt.m); got != tt.want {
				t.Errorf("VisibleTo(%q, %v) = %v, want %v", tt.viewer, tt.m, got, tt.want)
			}
			if got := tt.inc.NeedsMembership(tt.viewer); got != tt.needs {
				t.Errorf("NeedsMembership(%q) = %v, want %v", tt.viewer, got, tt.needs)
			}
		})
	}
}
