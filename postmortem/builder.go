package postmortem

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/templates"
)

// Builder makes a Draft from an incident and its timeline handed over one
// event at a time, in record (Seq) order, so that a caller can stream a
// timeline of any length from the store instead of loading it whole. Each
// part of the draft keeps only what it shows: a rendered entry per event,
// the few events that set severity, roles and status, and where each
// person first appears. Names are needed only at the end (Draft), so the
// people to look up (UserIDs) come out of the same single pass.
type Builder struct {
	inc *incident.Incident
	opt Options
	r   *renderer

	entries []pending
	// inOrder holds while every event came at or after the one before:
	// captured messages carry their own, earlier time, and the draft
	// orders by when things happened, keeping record order among equals.
	inOrder bool
	last    time.Time

	// The events the histories read, in record order, without their text.
	severity, roles, keyEvents []incident.Event
	updates                    int
	firstUpdate                time.Time
	appeared                   map[string]appearance
	users                      *userIDs
}

// pending is one timeline entry, rendered as far as it can be without
// names. ev keeps what is left to render with them: the actor always, and
// any other field that names someone (a mention, a user ID).
type pending struct {
	at    time.Time
	e     Entry
	ev    incident.Event
	later uint8
}

// Fields of an entry rendered only once names are known.
const (
	laterText uint8 = 1 << iota
	laterNextSteps
	laterFrom
	laterTo
	laterRole
	laterKind
)

// appearance is where a person first shows up in the timeline, in the
// order the draft tells it: by time, then record order, an event's actor
// before the person it hands a role to.
type appearance struct {
	at time.Time
	n  int
	to bool
}

func (a appearance) before(b appearance) bool {
	if c := a.at.Compare(b.at); c != 0 {
		return c < 0
	}
	if a.n != b.n {
		return a.n < b.n
	}
	return !a.to && b.to
}

// NewBuilder starts the draft of inc, rendered as opt says.
func NewBuilder(inc *incident.Incident, opt Options) *Builder {
	return &Builder{
		inc: inc, opt: opt, inOrder: true,
		r:        &renderer{cache: map[string]string{}, escaped: map[string]string{}},
		appeared: map[string]appearance{},
		users:    newUserIDs(inc),
	}
}

// Add takes the timeline's next event.
func (b *Builder) Add(ev incident.Event) {
	n := len(b.entries)
	if n > 0 && ev.At.Before(b.last) {
		b.inOrder = false
	}
	b.last = ev.At
	b.users.event(ev)
	b.entries = append(b.entries, b.entry(ev))

	facts := ev
	facts.Text, facts.NextSteps, facts.Link = "", "", ""
	switch ev.Kind {
	case incident.EventDeclared, incident.EventSeverityChanged:
		b.severity = append(b.severity, facts)
	case incident.EventRoleAssigned, incident.EventRoleHandoff:
		b.roles = append(b.roles, facts)
	case incident.EventStatusChanged:
		b.keyEvents = append(b.keyEvents, facts)
	case incident.EventUpdate:
		// Only the first update (by time) is a key time: keep each one
		// that is earlier than all before it.
		if b.updates == 0 || ev.At.Before(b.firstUpdate) {
			b.firstUpdate = ev.At
			b.keyEvents = append(b.keyEvents, facts)
		}
		b.updates++
	}
	b.appear(ev.Actor, appearance{ev.At, n, false})
	if isRoleEvent(ev.Kind) {
		b.appear(ev.To, appearance{ev.At, n, true})
	}
}

func (b *Builder) appear(id string, a appearance) {
	if id == "" {
		return
	}
	if have, ok := b.appeared[id]; !ok || a.before(have) {
		b.appeared[id] = a
	}
}

// Events is how many events were added.
func (b *Builder) Events() int { return len(b.entries) }

// UserIDs lists every user the draft mentions, as UserIDs does for the
// whole record.
func (b *Builder) UserIDs() []string { return b.users.list(b.inc) }

// UseNames sets the name lookup the draft shows people with (see
// Options.Names), typically after looking up UserIDs.
func (b *Builder) UseNames(names func(userID string) string) { b.opt.Names = names }

// entry renders ev as far as it can without names.
func (b *Builder) entry(ev incident.Event) pending {
	r, settings := b.r, b.opt.Settings
	p := pending{at: ev.At, ev: incident.Event{Kind: ev.Kind, Actor: ev.Actor}}
	p.e = Entry{
		At:    stamp(ev.At),
		Since: since(ev.At, b.inc.DeclaredAt),
		Kind:  string(ev.Kind),
		Link:  linkURL(ev.Link),
	}
	if mentions(ev.Text) {
		p.ev.Text, p.later = ev.Text, p.later|laterText
	} else {
		p.e.Text = r.block(ev.Text, "  ")
	}
	if mentions(ev.NextSteps) {
		p.ev.NextSteps, p.later = ev.NextSteps, p.later|laterNextSteps
	} else {
		p.e.NextSteps = r.block(ev.NextSteps, "  ")
	}
	if namesSomeone(ev.From) {
		p.ev.From, p.later = ev.From, p.later|laterFrom
	} else {
		p.e.From = r.value(ev.Kind, ev.From)
	}
	if namesSomeone(ev.To) {
		p.ev.To, p.later = ev.To, p.later|laterTo
	} else {
		p.e.To = r.value(ev.Kind, ev.To)
	}
	if ev.Role != "" {
		if role := roleName(settings, ev.Role); mentions(role) {
			p.ev.Role, p.later = ev.Role, p.later|laterRole
		} else {
			p.e.Role = r.inline(role)
		}
	}
	if !kindFlag(&p.e, ev.Kind) {
		if mentions(p.e.Kind) {
			p.later |= laterKind
		} else {
			p.e.Kind = r.inline(p.e.Kind) // unknown: shown as recorded, so escaped
		}
	}
	return p
}

// finish renders what p left for when names are known.
func (r *renderer) finish(p *pending, settings incident.Settings) Entry {
	e := p.e
	e.Actor = r.actor(p.ev.Actor)
	if p.later&laterText != 0 {
		e.Text = r.block(p.ev.Text, "  ")
	}
	if p.later&laterNextSteps != 0 {
		e.NextSteps = r.block(p.ev.NextSteps, "  ")
	}
	if p.later&laterFrom != 0 {
		e.From = r.value(p.ev.Kind, p.ev.From)
	}
	if p.later&laterTo != 0 {
		e.To = r.value(p.ev.Kind, p.ev.To)
	}
	if p.later&laterRole != 0 {
		e.Role = r.inline(roleName(settings, p.ev.Role))
	}
	if p.later&laterKind != 0 {
		e.Kind = r.inline(e.Kind)
	}
	return e
}

// mentions reports whether rendering s needs a name: only a user mention
// does (see decodeSlack).
func mentions(s string) bool { return strings.Contains(s, "<@") }

// namesSomeone reports whether an event's From or To shows with a name.
func namesSomeone(v string) bool { return userID.MatchString(v) || mentions(v) }

// kindFlag sets e's flag for a known kind and reports whether it knew it.
func kindFlag(e *Entry, k incident.EventKind) bool {
	switch k {
	case incident.EventDeclared:
		e.IsDeclared = true
	case incident.EventStatusChanged:
		e.IsStatusChanged = true
	case incident.EventSeverityChanged:
		e.IsSeverityChanged = true
	case incident.EventRoleAssigned:
		e.IsRoleAssigned = true
	case incident.EventRoleHandoff:
		e.IsRoleHandoff = true
	case incident.EventUpdate:
		e.IsUpdate = true
	case incident.EventNote:
		e.IsNote = true
	case incident.EventMessagePinned:
		e.IsMessagePinned = true
	case incident.EventAction:
		e.IsActionItem = true
	case incident.EventReminder:
		e.IsReminder = true
	case incident.EventSnoozed:
		e.IsSnoozed = true
	case incident.EventResolved:
		e.IsResolved = true
	case incident.EventPostmortem:
		e.IsPostmortem = true
	case incident.EventDeliveryFailed:
		e.IsDeliveryFailed = true
	default:
		return false
	}
	return true
}

// Draft makes the template's view-model from everything added.
func (b *Builder) Draft() Draft {
	inc, r, settings := b.inc, b.r, b.opt.Settings
	r.names = b.opt.Names
	d := Draft{
		ID:         inc.ID(),
		Title:      r.inline(inc.Title),
		Summary:    r.block(inc.Summary, ""),
		Impact:     r.block(inc.Impact, ""),
		Resolution: r.block(inc.Resolution, ""),
		Status:     inc.Status.Label(),
		Open:       inc.Open(),
		Private:    inc.Private,
		Drill:      inc.Drill,
		Severity:   escapeInline(inc.Severity),
		DeclaredBy: r.person(inc.DeclaredBy),
		Command:    b.opt.Command,
		Updates:    b.updates,
	}
	if d.Command == "" {
		d.Command = "/incident"
	}
	if sev, ok := settings.Severity(inc.Severity); ok {
		d.SeverityMeaning = r.inline(sev.Description)
	}
	if inc.Service != "" {
		d.Service = r.inline(inc.Service)
		if svc, ok := settings.Service(inc.Service); ok {
			d.Runbook = linkURL(svc.Runbook)
		}
	}
	if inc.ChannelName != "" {
		d.Channel = escapeInline("#" + inc.ChannelName)
	}

	// Each list is in record order; sorted stably by time it is in the
	// order of the whole timeline sorted so.
	byTime := func(a, b incident.Event) int { return a.At.Compare(b.At) }
	for _, evs := range [][]incident.Event{b.severity, b.roles, b.keyEvents} {
		slices.SortStableFunc(evs, byTime)
	}
	d.SeverityHistory, d.PeakSeverity = severityHistory(r, inc, b.severity, settings)
	d.Roles = roleHistories(r, inc, b.roles, settings)
	d.KeyTimes, d.Durations = keyTimes(inc, b.keyEvents)
	d.People = b.people(r)

	if !b.inOrder {
		slices.SortStableFunc(b.entries, func(x, y pending) int { return x.at.Compare(y.at) })
		b.inOrder = true
	}
	d.Timeline = make([]Entry, len(b.entries))
	for i := range b.entries {
		d.Timeline[i] = r.finish(&b.entries[i], settings)
	}
	for _, a := range inc.Actions {
		d.Actions = append(d.Actions, Action{
			Text: r.inline(a.Text), Owner: r.person(a.Owner), By: r.person(a.CreatedBy), At: stamp(a.CreatedAt),
		})
	}
	return d
}

// people lists everyone the record names, in order of appearance: the
// declarer, the timeline's people as it tells them, the owners of action
// items.
func (b *Builder) people(r *renderer) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, r.person(id))
		}
	}
	add(b.inc.DeclaredBy)
	ids := make([]string, 0, len(b.appeared))
	for id := range b.appeared {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y string) int {
		if b.appeared[x].before(b.appeared[y]) {
			return -1
		}
		return 1
	})
	for _, id := range ids {
		add(id)
	}
	for _, a := range b.inc.Actions {
		add(a.Owner)
	}
	return out
}

// Render renders the draft with the set's postmortem template.
func (b *Builder) Render(set *templates.Set) (string, error) {
	out, err := set.Render(TemplateName, b.Draft())
	if err != nil {
		return "", fmt.Errorf("postmortem of %s: %w", b.inc.ID(), err)
	}
	return out, nil
}
