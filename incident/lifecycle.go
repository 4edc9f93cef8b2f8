package incident

import (
	"strings"
	"time"
)

// The lifecycle: every change a use-case makes to an incident goes through
// one of these methods, which apply the rules and return the timeline
// events that record the change. The caller stores both in one
// transaction; nothing here reads a clock or a store.

// Declaration is a new incident as its declarer described it, already
// checked against the configuration (severity and service spelled as
// configured).
type Declaration struct {
	Title, Summary    string
	Severity, Service string
	Private, Drill    bool
	DeclaredBy        string
	Commander         string
	// Unassigned allows an empty Commander, for a declaration that no
	// person made (Alertmanager, the HTTP API): nobody is in command until
	// someone takes the role.
	Unassigned bool
}

// Declare opens an incident at now: investigating, commanded by
// d.Commander, with its first status update due after the severity's
// reminder interval (none when it has none). The events start its timeline
// — the declaration, then the commander's assignment — and are recorded
// once the incident has its number.
func Declare(d Declaration, s Settings, now time.Time) (*Incident, []Event, error) {
	inc := &Incident{
		Title:      d.Title,
		Summary:    d.Summary,
		Service:    d.Service,
		Severity:   d.Severity,
		Status:     Investigating,
		Private:    d.Private,
		Drill:      d.Drill,
		DeclaredBy: d.DeclaredBy,
		Roles:      map[string]string{RoleCommander: d.Commander},
		StartedAt:  now,
		DeclaredAt: now,
	}
	if err := inc.Validate(); err != nil {
		return nil, nil, err
	}
	if d.DeclaredBy == "" || (d.Commander == "" && !d.Unassigned) {
		return nil, nil, Errorf(EINVALID, "a declaration needs the declaring user and a commander")
	}
	if sev, ok := s.Severity(inc.Severity); ok && sev.Reminder > 0 {
		inc.NextUpdateAt = now.Add(sev.Reminder)
	}
	events := []Event{{At: now, Kind: EventDeclared, Actor: d.DeclaredBy, Text: inc.Title, To: inc.Severity}}
	if d.Commander == "" {
		inc.Roles = map[string]string{}
		return inc, events, nil
	}
	return inc, append(events, Event{At: now, Kind: EventRoleAssigned, Actor: d.DeclaredBy, Role: RoleCommander, To: d.Commander}), nil
}

// AssignRole gives role to user, on by's word, and returns the event that
// records it: an assignment when nobody held the role, a handoff from the
// holder otherwise. Giving a role to its holder changes nothing (changed
// is false, and there is no event). A resolved incident's roles may still
// change, for the follow-up work.
func (i *Incident) AssignRole(role, user, by string, now time.Time) (ev Event, changed bool, err error) {
	if role == "" || user == "" {
		return Event{}, false, Errorf(EINVALID, "an assignment needs a role and the user who takes it")
	}
	prev := i.Holder(role)
	if prev == user {
		return Event{}, false, nil
	}
	if i.Roles == nil {
		i.Roles = map[string]string{}
	}
	i.Roles[role] = user
	kind := EventRoleAssigned
	if prev != "" {
		kind = EventRoleHandoff
	}
	return Event{At: now, Kind: kind, Actor: by, Role: role, From: prev, To: user}, true, nil
}

// ChangeSeverity moves the incident to severity to at now; the next status
// update falls due after to's reminder interval, or never when it has
// none. A resolved incident keeps its severity (ECONFLICT), and the current
// severity is no change (EINVALID, naming the others in s); both change
// nothing.
func (i *Incident) ChangeSeverity(s Settings, to Severity, by string, now time.Time) (Event, error) {
	if !i.Open() {
		return Event{}, Errorf(ECONFLICT, "%s is resolved, so its severity can no longer change.", i.ID())
	}
	if i.Severity == to.Name {
		var others []string
		for _, n := range s.SeverityNames() {
			if n != to.Name {
				others = append(others, n)
			}
		}
		return Event{}, Errorf(EINVALID, "%s is already %s; nothing changed. To change it, name another severity: %s.",
			i.ID(), to.Name, strings.Join(others, ", "))
	}
	from := i.Severity
	i.Severity = to.Name
	i.NextUpdateAt = time.Time{}
	if to.Reminder > 0 {
		i.NextUpdateAt = now.Add(to.Reminder)
	}
	return Event{At: now, Kind: EventSeverityChanged, Actor: by, From: from, To: to.Name}, nil
}

// Escalates reports whether moving from one severity to another makes an
// incident more severe; leaving a severity that is no longer configured
// counts as one, so that nobody misses it.
func (s Settings) Escalates(from, to string) bool {
	return s.SeverityRank(to) < s.SeverityRank(from) || s.SeverityRank(from) < 0
}

// StatusUpdate is a status update as its author submitted it, checked.
type StatusUpdate struct {
	Status             Status
	Severity           string
	Summary, NextSteps string
	// NextIn is how long from now the next update is promised; 0
	// promises none.
	NextIn time.Duration
	By     string
}

// RecordUpdate applies u at now. A change of severity and a change of
// status each get their event first (a change to resolved is the
// resolution, with the summary as its text), then the update itself, which
// resets the reminders missed and promises the next update (none once
// resolved). The update is the last event. A resolved incident takes no
// more updates (ECONFLICT).
func (i *Incident) RecordUpdate(u StatusUpdate, now time.Time) ([]Event, error) {
	if !i.Open() {
		return nil, Errorf(ECONFLICT, "%s is already resolved, so it takes no more status updates.", i.ID())
	}
	var events []Event
	if u.Severity != i.Severity {
		events = append(events, Event{At: now, Kind: EventSeverityChanged, Actor: u.By, From: i.Severity, To: u.Severity})
		i.Severity = u.Severity
	}
	if u.Status != i.Status {
		ev, err := i.changeStatus(u.Status, u.Summary, u.By, now)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	next := time.Time{}
	if i.Open() && u.NextIn > 0 {
		next = now.Add(u.NextIn)
	}
	i.LastUpdateAt, i.NextUpdateAt, i.MissedUpdates = now, next, 0
	return append(events, Event{At: now, Kind: EventUpdate, Actor: u.By, Text: u.Summary, NextSteps: u.NextSteps, NextUpdate: next}), nil
}

// Resolve ends the incident at now with summary (may be ""): the last
// update is now, no further one is due, and no reminder is missed. A
// resolved incident stays as it is (ECONFLICT).
func (i *Incident) Resolve(summary, by string, now time.Time) (Event, error) {
	if !i.Open() {
		return Event{}, Errorf(ECONFLICT, "%s is already resolved (it was resolved at %s UTC); nothing changed.",
			i.ID(), i.ResolvedAt.UTC().Format("2006-01-02 15:04"))
	}
	ev, err := i.changeStatus(Resolved, summary, by, now)
	if err != nil {
		return Event{}, err
	}
	i.LastUpdateAt, i.NextUpdateAt, i.MissedUpdates = now, time.Time{}, 0
	return ev, nil
}

// changeStatus moves the incident to s and returns the event: a status
// change, or the resolution, which keeps summary as the incident's
// resolution and the event's text.
func (i *Incident) changeStatus(s Status, summary, by string, now time.Time) (Event, error) {
	from := i.Status
	if err := i.SetStatus(s, now); err != nil {
		return Event{}, err
	}
	if s != Resolved {
		return Event{At: now, Kind: EventStatusChanged, Actor: by, From: string(from), To: string(s)}, nil
	}
	i.Resolution = summary
	return Event{At: now, Kind: EventResolved, Actor: by, From: string(from), To: string(Resolved), Text: summary}, nil
}
