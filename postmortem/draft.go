// Package postmortem drafts an incident's blameless postmortem, in
// Markdown, from what the bot recorded: the incident and its whole
// timeline. Build turns a Record into the Draft view-model and Render
// executes templates/postmortem.md.tmpl on it. It is pure — no Slack, no
// store, no clock: the same record and options always give the same bytes,
// which is why `/incident postmortem`, `incidentbot export` and the ops
// endpoint agree.
package postmortem

import (
	"fmt"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/templates"
)

// TemplateName is the template the draft is rendered with; a file of this
// name in templates.dir replaces it.
const TemplateName = "postmortem.md.tmpl"

// FileName is the draft's file name: INC-N-postmortem.md.
func FileName(inc *incident.Incident) string { return inc.ID() + "-postmortem.md" }

// Record is an incident with its whole timeline: what a draft is made from,
// and what `incidentbot export --format json` prints.
type Record struct {
	Incident *incident.Incident `json:"incident"`
	Events   []incident.Event   `json:"events"`
}

// Options say how to render a Record.
type Options struct {
	// Settings name the roles and explain the severities.
	Settings incident.Settings
	// Names returns the name to show for a user ID, or "" to show the ID
	// itself as "@U123". Nil shows every ID. It is called during rendering,
	// so it must not block: look names up first (see UserIDs).
	Names func(userID string) string
	// Command is the slash command the draft's guidance mentions; default
	// "/incident".
	Command string
}

// Draft is what the template sees. Every string is already Markdown-safe:
// user text is decoded from Slack markup and escaped, multi-line text keeps
// its paragraphs, and people are names or "@U123". Times are UTC.
type Draft struct {
	ID, Title string
	// Summary, Impact and Resolution are paragraphs of Markdown, "" when
	// nobody wrote one.
	Summary, Impact, Resolution string
	Status                      string // "Investigating" … "Resolved"
	Open                        bool
	Private                     bool
	// Drill marks a practice incident's draft.
	Drill                     bool
	Severity, SeverityMeaning string
	// PeakSeverity is the most severe level the incident reached, when
	// that is not its current one ("" otherwise).
	PeakSeverity     string
	Service, Runbook string // Runbook is a URL fit for <…>, or ""
	Channel          string // "#inc-7-…", or "" when no channel was made
	DeclaredBy       string
	// People lists everyone who appears in the record, in order of
	// appearance.
	People          []string
	SeverityHistory []SeverityStep
	KeyTimes        []KeyTime
	Durations       []Measure
	Roles           []RoleHistory
	Timeline        []Entry
	Actions         []Action
	// Updates counts the status updates posted.
	Updates int
	Command string
}

// SeverityStep is the severity being set: at declaration (Previous "") or
// changed later.
type SeverityStep struct {
	At, Severity, Previous, By string
}

// KeyTime is a moment worth knowing, with its offset from the declaration
// ("+12m", "-5m", or "" for the declaration itself).
type KeyTime struct {
	At, Since, What string
}

// Measure is a named duration ("Time to resolve", "1h 12m").
type Measure struct {
	Name, Value string
}

// RoleHistory is one role: who holds it now and every assignment and
// handoff, oldest first.
type RoleHistory struct {
	ID, Name, Holder string
	Changes          []RoleChange
}

// RoleChange is one assignment (From "") or handoff of a role.
type RoleChange struct {
	At, From, To, By string
	Handoff          bool
}

// Entry is one timeline event. Kind is the event kind as recorded
// ("declared", "note", … see incident.EventKind); From and To are people
// for role and action events, status labels for status changes, severities
// for severity changes. Text may hold several paragraphs, indented to stay
// inside a "- " list item.
type Entry struct {
	At, Since, Kind, Actor          string
	Text, NextSteps, From, To, Role string
	Link                            string // a URL fit for <…>, or ""
	// One of these is true for each known kind, so that the template picks
	// its wording without comparing strings, which over a timeline of
	// thousands of events costs twice as much.
	IsDeclared, IsStatusChanged, IsSeverityChanged, IsRoleAssigned, IsRoleHandoff bool
	IsUpdate, IsNote, IsMessagePinned, IsActionItem, IsReminder, IsSnoozed        bool
	IsResolved, IsPostmortem, IsDeliveryFailed                                    bool
}

// Action is one action item.
type Action struct {
	Text, Owner, By, At string
}

// Render renders rec's postmortem draft with the set's postmortem template.
func Render(set *templates.Set, rec Record, opt Options) (string, error) {
	out, err := set.Render(TemplateName, Build(rec, opt))
	if err != nil {
		return "", fmt.Errorf("postmortem of %s: %w", rec.Incident.ID(), err)
	}
	return out, nil
}

// Build makes the template's view-model of rec (see Builder). The
// caller's slice is left as it was.
func Build(rec Record, opt Options) Draft {
	b := NewBuilder(rec.Incident, opt)
	for _, ev := range rec.Events {
		b.Add(ev)
	}
	return b.Draft()
}
