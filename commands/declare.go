package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// DeclareInput is what a declaration needs, from the modal or the one-liner.
type DeclareInput struct {
	Title    string
	Summary  string
	Severity string // "" = the least severe
	Service  string // "" = none
	// Commander defaults to the declarer.
	Commander string
	Private   bool
	// Drill declares a practice incident (see incident.Incident.Drill).
	Drill      bool
	DeclaredBy string
	// IdempotencyKey identifies the delivery (a slash command's trigger_id,
	// a modal's view id): a second declaration with the same key declares
	// nothing, so a redelivered envelope cannot open a second incident.
	IdempotencyKey string
}

// DeclareResult is the outcome of Declare.
type DeclareResult struct {
	Incident *incident.Incident
	// Duplicate is true when the key had already declared an incident.
	Duplicate bool
}

// FieldError is a declaration error tied to one input field, so that the
// modal can show it next to that field.
type FieldError struct {
	Field string
	Err   *incident.Error
}

func (e *FieldError) Error() string { return e.Err.Message }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: incident.Errorf(incident.EINVALID, format, args...)}
}

// ValidateDeclare checks a declaration without writing anything and
// returns it normalised (severity and service spelled as configured).
func (s *Service) ValidateDeclare(in DeclareInput) (DeclareInput, error) {
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = strings.TrimSpace(in.Summary)
	if in.Title == "" {
		return in, fieldErr("title", "An incident needs a title: say in a few words what is wrong, e.g. \"checkout returns 500s\".")
	}
	if in.Severity == "" {
		in.Severity = s.Settings.LeastSevere().Name
	} else {
		sev, err := s.Settings.ParseSeverity(in.Severity)
		if err != nil {
			return in, &FieldError{Field: "severity", Err: err.(*incident.Error)}
		}
		in.Severity = sev.Name
	}
	if in.Service != "" {
		svc, ok := s.Settings.Service(in.Service)
		if !ok {
			return in, fieldErr("service", "%q is not a known service; pick one from the list or leave it empty.", in.Service)
		}
		in.Service = svc.Name
	}
	if in.DeclaredBy == "" {
		return in, incident.Errorf(incident.EINVALID, "a declaration needs the declaring user")
	}
	if in.Commander == "" {
		in.Commander = in.DeclaredBy
	}
	return in, nil
}

// Declare records a new incident, its first timeline events and every side
// effect of declaring it (channel, topic, invitations, summary card,
// runbook bookmark, first steps, announcement) in one transaction.
func (s *Service) Declare(ctx context.Context, in DeclareInput) (DeclareResult, error) {
	in, err := s.ValidateDeclare(in)
	if err != nil {
		return DeclareResult{}, err
	}
	now := s.now()
	var res DeclareResult
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		res = DeclareResult{} // Update may run this function more than once
		if in.IdempotencyKey != "" {
			seen, err := tx.MarkSeen("declare:"+in.IdempotencyKey, now)
			if err != nil {
				return err
			}
			if seen {
				res.Duplicate = true
				return nil
			}
		}
		inc := &incident.Incident{
			Title:      in.Title,
			Summary:    in.Summary,
			Service:    in.Service,
			Severity:   in.Severity,
			Status:     incident.Investigating,
			Private:    in.Private,
			Drill:      in.Drill,
			DeclaredBy: in.DeclaredBy,
			Roles:      map[string]string{incident.RoleCommander: in.Commander},
			StartedAt:  now,
			DeclaredAt: now,
		}
		if sev, ok := s.Settings.Severity(inc.Severity); ok && sev.Reminder > 0 {
			inc.NextUpdateAt = now.Add(sev.Reminder) // the first update is due on the severity's cadence
		}
		if err := tx.CreateIncident(inc); err != nil {
			return err
		}
		if _, err := tx.AppendEvent(inc.Number, incident.Event{
			At: now, Kind: incident.EventDeclared, Actor: in.DeclaredBy, Text: inc.Title, To: inc.Severity,
		}); err != nil {
			return err
		}
		if _, err := tx.AppendEvent(inc.Number, incident.Event{
			At: now, Kind: incident.EventRoleAssigned, Actor: in.DeclaredBy, Role: incident.RoleCommander, To: in.Commander,
		}); err != nil {
			return err
		}
		if err := s.enqueueDeclareJobs(tx, inc); err != nil {
			return err
		}
		if err := s.scheduleReminder(tx, inc, now); err != nil {
			return err
		}
		res.Incident = inc
		return nil
	})
	if err != nil {
		return DeclareResult{}, fmt.Errorf("declare: %w", err)
	}
	return res, nil
}

// enqueueDeclareJobs lists the side effects of a declaration, in the order
// they must happen.
func (s *Service) enqueueDeclareJobs(tx store.Tx, inc *incident.Incident) error {
	jobs := []pendingJob{
		{JobCreateChannel, nil},
		{JobSetTopic, nil},
		{JobSetPurpose, nil},
		{JobInvite, InvitePayload{Users: s.invitees(inc)}},
		{JobPostCard, nil},
	}
	if svc, ok := s.Settings.Service(inc.Service); ok && svc.Runbook != "" {
		jobs = append(jobs, pendingJob{JobBookmarkRunbook, nil})
	}
	jobs = append(jobs, pendingJob{JobPostWelcome, nil})
	if s.AnnounceChannelFor(inc) != "" {
		jobs = append(jobs, pendingJob{JobAnnounce, nil})
	}
	for _, j := range jobs {
		if err := enqueue(tx, inc.Number, j.kind, j.payload); err != nil {
			return err
		}
	}
	return nil
}

// invitees are the declarer, every role holder and the service's experts,
// each once, in that order.
func (s *Service) invitees(inc *incident.Incident) []string {
	var users []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			users = append(users, u)
		}
	}
	add(inc.DeclaredBy)
	for _, r := range s.Settings.Roles {
		add(inc.Roles[r.ID])
	}
	if svc, ok := s.Settings.Service(inc.Service); ok {
		for _, u := range svc.Experts {
			add(u)
		}
	}
	return users
}
