package commands

import (
	"context"
	"strings"
	"time"

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
	if in.Commander == "" && !isSource(in.DeclaredBy) {
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
	return runFor(ctx, s, "declare", deliveryKey("declare", in.IdempotencyKey), DeclareResult{Duplicate: true}, func(tx store.Tx, now time.Time, res *DeclareResult) error {
		inc, err := s.declareIn(tx, in, now)
		if err != nil {
			return err
		}
		res.Incident = inc
		return nil
	})
}

// declareIn records a validated declaration in tx: the incident, its first
// events, its side effects and its reminder. The integrations declare
// through it inside their own transactions.
func (s *Service) declareIn(tx store.Tx, in DeclareInput, now time.Time) (*incident.Incident, error) {
	inc, events, err := incident.Declare(incident.Declaration{
		Title: in.Title, Summary: in.Summary, Severity: in.Severity, Service: in.Service,
		Private: in.Private, Drill: in.Drill, DeclaredBy: in.DeclaredBy, Commander: in.Commander,
		Unassigned: in.Commander == "" && isSource(in.DeclaredBy),
	}, s.Settings, now)
	if err != nil {
		return nil, err
	}
	if err := tx.CreateIncident(inc); err != nil {
		return nil, err
	}
	for _, ev := range events {
		if _, err := s.appendEvent(tx, inc, ev); err != nil {
			return nil, err
		}
	}
	if err := s.enqueueDeclareJobs(tx, inc); err != nil {
		return nil, err
	}
	if err := s.scheduleReminder(tx, inc, now); err != nil {
		return nil, err
	}
	return inc, nil
}

// enqueueDeclareJobs enqueues the side effects of a declaration as a
// graph, so that it completes in three round trips: the channel first;
// then everything in it, and the announcement (which links to it), at
// once; then the card's pin, and the first steps, which must show below
// the card.
func (s *Service) enqueueDeclareJobs(tx store.Tx, inc *incident.Incident) error {
	g := &jobGraph{tx: tx, number: inc.Number}
	channel, err := g.add(JobCreateChannel, nil)
	if err != nil {
		return err
	}
	add := func(kind string, payload any, after uint64) (id uint64) {
		if err == nil {
			id, err = g.add(kind, payload, after)
		}
		return id
	}
	add(JobSetTopic, nil, channel)
	add(JobSetPurpose, nil, channel)
	add(JobInvite, InvitePayload{Users: s.invitees(inc)}, channel)
	card := add(JobPostCard, PostCardPayload{PinJob: true}, channel)
	add(JobPinCard, nil, card)
	if svc, ok := s.Settings.Service(inc.Service); ok && svc.Runbook != "" {
		add(JobBookmarkRunbook, nil, channel)
	}
	add(JobPostWelcome, nil, card)
	if s.AnnounceChannelFor(inc) != "" {
		add(JobAnnounce, nil, channel)
	}
	return err
}

// invitees are the declarer, every role holder and the service's experts,
// each once, in that order.
func (s *Service) invitees(inc *incident.Incident) []string {
	var users []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] && !isSource(u) {
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
