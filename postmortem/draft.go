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
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

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

const timeLayout = "2006-01-02 15:04:05"

var userID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// renderer carries what every field needs: the name lookup, with each name
// looked up and escaped once.
type renderer struct {
	names   func(string) string
	cache   map[string]string // user ID → name
	escaped map[string]string // user ID → escaped name
}

// name is how a person is shown, before Markdown escaping.
func (r *renderer) name(id string) string {
	if v, ok := r.cache[id]; ok {
		return v
	}
	v := "@" + id
	if r.names != nil {
		if n := strings.Join(strings.Fields(clean(r.names(id))), " "); n != "" {
			v = n
		}
	}
	r.cache[id] = v
	return v
}

// person is a user ID shown in Markdown, "" for "".
func (r *renderer) person(id string) string {
	if id == "" {
		return ""
	}
	if v, ok := r.escaped[id]; ok {
		return v
	}
	v := escapeInline(r.name(id))
	r.escaped[id] = v
	return v
}

// actor is who did something; the bot itself records events with no actor.
func (r *renderer) actor(id string) string {
	if id == "" {
		return "incidentbot"
	}
	return r.person(id)
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

// value shows an event's From or To: a person, a status, or as recorded.
func (r *renderer) value(kind incident.EventKind, v string) string {
	switch {
	case v == "":
		return ""
	case userID.MatchString(v):
		return r.person(v)
	case kind == incident.EventStatusChanged:
		return escapeInline(incident.Status(v).Label())
	default:
		return r.inline(v)
	}
}

func severityHistory(r *renderer, inc *incident.Incident, events []incident.Event, settings incident.Settings) ([]SeverityStep, string) {
	var steps []SeverityStep
	seen := []string{inc.Severity}
	incident.Replay(events, func(ev incident.Event, _, after incident.State) bool {
		switch ev.Kind {
		case incident.EventDeclared:
			sev := after.Severity
			if sev == "" {
				sev = firstSeverity(inc, events)
			}
			steps = append(steps, SeverityStep{At: stamp(ev.At), Severity: r.inline(sev), By: r.actor(ev.Actor)})
			seen = append(seen, sev)
		case incident.EventSeverityChanged:
			// Previous is what the change says it changed from: a timeline
			// that lost an event still tells each step as it was recorded.
			steps = append(steps, SeverityStep{At: stamp(ev.At), Severity: r.inline(after.Severity), Previous: r.inline(ev.From), By: r.actor(ev.Actor)})
			seen = append(seen, ev.From, after.Severity)
		}
		return true
	})
	peak, rank := "", -1
	for _, s := range seen {
		if k := settings.SeverityRank(s); k >= 0 && (rank < 0 || k < rank) {
			peak, rank = s, k
		}
	}
	if peak == "" || strings.EqualFold(peak, inc.Severity) {
		return steps, ""
	}
	return steps, r.inline(peak)
}

// firstSeverity is the severity at declaration when the declared event
// does not say: what the first change changed from, else the current one.
func firstSeverity(inc *incident.Incident, events []incident.Event) string {
	for _, ev := range events {
		if ev.Kind == incident.EventSeverityChanged && ev.From != "" {
			return ev.From
		}
	}
	return inc.Severity
}

func roleHistories(r *renderer, inc *incident.Incident, events []incident.Event, settings incident.Settings) []RoleHistory {
	var ids []string
	for _, role := range settings.Roles {
		ids = append(ids, role.ID)
	}
	// Roles no longer configured still belong to this incident's story.
	var extra []string
	add := func(id string) {
		if id != "" && !slices.Contains(ids, id) && !slices.Contains(extra, id) {
			extra = append(extra, id)
		}
	}
	for id := range inc.Roles {
		add(id)
	}
	for _, ev := range events {
		if isRoleEvent(ev.Kind) {
			add(ev.Role)
		}
	}
	slices.Sort(extra)
	ids = append(ids, extra...)

	out := make([]RoleHistory, 0, len(ids))
	for _, id := range ids {
		h := RoleHistory{ID: escapeInline(id), Name: r.inline(roleName(settings, id)), Holder: r.person(inc.Holder(id))}
		for _, ev := range events {
			if isRoleEvent(ev.Kind) && ev.Role == id {
				h.Changes = append(h.Changes, RoleChange{
					At: stamp(ev.At), From: r.person(ev.From), To: r.person(ev.To), By: r.actor(ev.Actor),
					Handoff: ev.Kind == incident.EventRoleHandoff || ev.From != "",
				})
			}
		}
		out = append(out, h)
	}
	return out
}

func isRoleEvent(k incident.EventKind) bool {
	return k == incident.EventRoleAssigned || k == incident.EventRoleHandoff
}

func roleName(settings incident.Settings, id string) string {
	if role, ok := settings.Role(id); ok && role.Name != "" {
		return role.Name
	}
	return id
}

// keyTimes lists the moments a review asks about, in time order, and the
// durations between them. events, in time order, must hold the status
// changes and at least the first status update.
func keyTimes(inc *incident.Incident, events []incident.Event) ([]KeyTime, []Measure) {
	declared := inc.DeclaredAt
	var times []struct {
		at   time.Time
		what string
	}
	add := func(at time.Time, what string) {
		times = append(times, struct {
			at   time.Time
			what string
		}{at, what})
	}
	impactKnown := !inc.StartedAt.IsZero() && inc.StartedAt.Before(declared.Add(-time.Second))
	if impactKnown {
		add(inc.StartedAt, "Impact started")
	}
	add(declared, "Declared")
	var firstUpdate time.Time
	incident.Replay(events, func(ev incident.Event, _, after incident.State) bool {
		switch ev.Kind {
		case incident.EventUpdate:
			if firstUpdate.IsZero() {
				firstUpdate = ev.At
				add(ev.At, "First status update")
			}
		case incident.EventStatusChanged:
			if after.Status != incident.Resolved {
				add(ev.At, "Status: "+after.Status.Label())
			}
		}
		return true
	})
	if !inc.Open() && !inc.ResolvedAt.IsZero() {
		add(inc.ResolvedAt, "Resolved")
	}
	slices.SortStableFunc(times, func(a, b struct {
		at   time.Time
		what string
	}) int {
		return a.at.Compare(b.at)
	})
	out := make([]KeyTime, len(times))
	for i, t := range times {
		out[i] = KeyTime{At: stamp(t.at), Since: since(t.at, declared), What: escapeInline(t.what)}
	}

	var m []Measure
	if impactKnown {
		m = append(m, Measure{"Impact to declaration", incident.FormatDuration(declared.Sub(inc.StartedAt), incident.DurationPrecise)})
	}
	if !firstUpdate.IsZero() {
		m = append(m, Measure{"Declaration to first status update", incident.FormatDuration(firstUpdate.Sub(declared), incident.DurationPrecise)})
	}
	switch {
	case inc.Open() || inc.ResolvedAt.IsZero():
		m = append(m, Measure{"Time to resolve", "not resolved yet"})
	case impactKnown:
		m = append(m, Measure{"Time to resolve (from impact start)", incident.FormatDuration(inc.ResolvedAt.Sub(inc.StartedAt), incident.DurationPrecise)})
		m = append(m, Measure{"Declaration to resolution", incident.FormatDuration(inc.ResolvedAt.Sub(declared), incident.DurationPrecise)})
	default:
		m = append(m, Measure{"Time to resolve (from declaration)", incident.FormatDuration(inc.ResolvedAt.Sub(declared), incident.DurationPrecise)})
	}
	return out, m
}

var mentionInText = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>`)

// UserIDs lists every user the record mentions — declarer, role holders,
// actors, owners, and mentions inside text — each once, in order of first
// appearance: what a caller with access to names resolves before Render.
// Builder.UserIDs gives the same list without holding the timeline.
func UserIDs(rec Record) []string {
	u := newUserIDs(rec.Incident)
	for _, ev := range rec.Events {
		u.event(ev)
	}
	return u.list(rec.Incident)
}

// userIDs collects user IDs in order of first appearance: the incident's
// own (newUserIDs), each event's (event), the action items' last (list).
type userIDs struct {
	out  []string
	seen map[string]bool
}

func newUserIDs(inc *incident.Incident) *userIDs {
	u := &userIDs{seen: map[string]bool{}}
	u.add(inc.DeclaredBy)
	ids := make([]string, 0, len(inc.Roles))
	for id := range inc.Roles {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		u.add(inc.Roles[id])
	}
	u.text(inc.Title)
	u.text(inc.Summary)
	u.text(inc.Impact)
	u.text(inc.Resolution)
	return u
}

func (u *userIDs) add(id string) {
	if id != "" && userID.MatchString(id) && !u.seen[id] {
		u.seen[id] = true
		u.out = append(u.out, id)
	}
}

func (u *userIDs) text(s string) {
	if strings.Contains(s, "<@") {
		for _, m := range mentionInText.FindAllStringSubmatch(s, -1) {
			u.add(m[1])
		}
	}
}

func (u *userIDs) event(ev incident.Event) {
	u.add(ev.Actor)
	u.add(ev.From)
	u.add(ev.To)
	u.text(ev.Text)
	u.text(ev.NextSteps)
}

// list is everyone collected, then the action items' people, without
// changing what was collected (so it may be called again).
func (u *userIDs) list(inc *incident.Incident) []string {
	all := &userIDs{out: slices.Clone(u.out), seen: maps.Clone(u.seen)}
	for _, a := range inc.Actions {
		all.add(a.Owner)
		all.add(a.CreatedBy)
		all.text(a.Text)
	}
	return all.out
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// since is t's offset from the declaration: "+12m", "-5m", "" at zero.
func since(t, declared time.Time) string {
	if t.IsZero() || declared.IsZero() {
		return ""
	}
	d := t.Sub(declared).Round(time.Second)
	switch {
	case d > 0:
		return "+" + incident.FormatDuration(d, incident.DurationPrecise)
	case d < 0:
		return "-" + incident.FormatDuration(-d, incident.DurationPrecise)
	default:
		return ""
	}
}
