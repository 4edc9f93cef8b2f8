package postmortem

import (
	"fmt"
	"slices"
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

	// entries are rendered as far as they can be without names: a field
	// that shows someone holds its raw value until Draft, flagged in later.
	// They are kept in fixed-size chunks, so that a long timeline is never
	// copied as it grows.
	entries [][]Entry
	later   []uint8
	ats     []time.Time
	n       int
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

// chunk is how many entries one chunk of Builder.entries holds.
const chunk = 512

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
	n := b.n
	if n > 0 && ev.At.Before(b.last) {
		b.inOrder = false
	}
	b.last = ev.At
	b.users.event(ev)
	if n%chunk == 0 {
		// The first chunk grows as needed: most timelines are short.
		b.entries = append(b.entries, make([]Entry, 0, min(chunk, max(n, 8))))
	}
	e, later := b.entry(ev)
	last := len(b.entries) - 1
	b.entries[last] = append(b.entries[last], e)
	b.later = append(b.later, later)
	b.ats = append(b.ats, ev.At)
	b.n++

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
func (b *Builder) Events() int { return b.n }

// UserIDs lists every user the draft mentions, as UserIDs does for the
// whole record.
func (b *Builder) UserIDs() []string { return b.users.list(b.inc) }

// UseNames sets the name lookup the draft shows people with (see
// Options.Names), typically after looking up UserIDs.
func (b *Builder) UseNames(names func(userID string) string) { b.opt.Names = names }

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
		d.Command = templates.DefaultCommand
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

	order := func(i int) int { return i }
	if !b.inOrder {
		perm := make([]int, b.n)
		for i := range perm {
			perm[i] = i
		}
		slices.SortStableFunc(perm, func(x, y int) int { return b.ats[x].Compare(b.ats[y]) })
		order = func(i int) int { return perm[i] }
	}
	d.Timeline = make([]Entry, b.n)
	for i := range d.Timeline {
		j := order(i)
		d.Timeline[i] = r.finish(b.entries[j/chunk][j%chunk], b.later[j], settings)
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
