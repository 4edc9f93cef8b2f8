package incident

import (
	"strings"
	"time"
)

// Severity is one configured severity level. Reminder is how long an open
// incident at this level may go without a status update; 0 disables reminders.
type Severity struct {
	Name        string
	Description string
	Reminder    time.Duration
}

// Role is one incident role, such as the commander.
type Role struct {
	ID   string
	Name string
}

// The roles that always exist.
const (
	RoleCommander = "commander"
	RoleComms     = "comms"
	RoleOps       = "ops"
)

// Service is an entry of the service catalogue: who knows it and where its
// runbook lives.
type Service struct {
	Name    string
	Experts []string
	Runbook string
}

// Settings is the configurable vocabulary of incidents: severities (ordered,
// most severe first), roles and services.
type Settings struct {
	Severities []Severity
	Roles      []Role
	Services   []Service
}

// Severity returns the severity named name (case-insensitive).
func (s Settings) Severity(name string) (Severity, bool) {
	for _, sev := range s.Severities {
		if strings.EqualFold(sev.Name, name) {
			return sev, true
		}
	}
	return Severity{}, false
}

// SeverityRank is the index of name in the ordered severities (0 = most
// severe), or -1 when unknown.
func (s Settings) SeverityRank(name string) int {
	for i, sev := range s.Severities {
		if strings.EqualFold(sev.Name, name) {
			return i
		}
	}
	return -1
}

// LeastSevere is the last configured severity: the default for one-line
// declarations.
func (s Settings) LeastSevere() Severity {
	if len(s.Severities) == 0 {
		return Severity{}
	}
	return s.Severities[len(s.Severities)-1]
}

// SeverityNames lists the configured severity names in order.
func (s Settings) SeverityNames() []string {
	names := make([]string, len(s.Severities))
	for i, sev := range s.Severities {
		names[i] = sev.Name
	}
	return names
}

// ParseSeverity returns the severity named name, or an EINVALID error that
// lists the valid ones.
func (s Settings) ParseSeverity(name string) (Severity, error) {
	if sev, ok := s.Severity(name); ok {
		return sev, nil
	}
	return Severity{}, Errorf(EINVALID, "%q is not a severity; use one of %s", name, strings.Join(s.SeverityNames(), ", "))
}

// Role returns the role with this id (case-insensitive).
func (s Settings) Role(id string) (Role, bool) {
	for _, r := range s.Roles {
		if strings.EqualFold(r.ID, id) {
			return r, true
		}
	}
	return Role{}, false
}

// Service returns the catalogue entry named name (case-insensitive).
func (s Settings) Service(name string) (Service, bool) {
	for _, svc := range s.Services {
		if strings.EqualFold(svc.Name, name) {
			return svc, true
		}
	}
	return Service{}, false
}

// DefaultSettings is what an empty configuration means.
func DefaultSettings() Settings {
	return Settings{
		Severities: []Severity{
			{Name: "SEV1", Description: "Critical: customers broadly affected", Reminder: 15 * time.Minute},
			{Name: "SEV2", Description: "Major: a key feature degraded", Reminder: 30 * time.Minute},
			{Name: "SEV3", Description: "Minor: limited impact", Reminder: 60 * time.Minute},
			{Name: "SEV4", Description: "Low: no customer impact yet", Reminder: 0},
		},
		Roles: []Role{
			{ID: RoleCommander, Name: "Incident Commander"},
			{ID: RoleComms, Name: "Communications Lead"},
			{ID: RoleOps, Name: "Operations Lead"},
		},
	}
}
