package postmortem

import (
	"strings"

	"github.com/incidentbot/incidentbot/incident"
)

// This file renders one timeline event as an entry of the draft: as far
// as it can when the event is added, the rest once names are known.

// Fields of an entry rendered only once names are known (the actor always
// is).
const (
	laterText uint8 = 1 << iota
	laterNextSteps
	laterFrom
	laterTo
	laterRole
	laterKind
)

// entry renders ev as far as it can without names, and says which fields
// hold raw values to render later.
func (b *Builder) entry(ev incident.Event) (Entry, uint8) {
	r, settings := b.r, b.opt.Settings
	var later uint8
	e := Entry{
		At:    stamp(ev.At),
		Since: since(ev.At, b.inc.DeclaredAt),
		Kind:  string(ev.Kind),
		Actor: ev.Actor,
		Link:  linkURL(ev.Link),
	}
	text := ev.Text
	if ev.Kind == incident.EventMessagePinned {
		text = fromChat(text)
	}
	if e.Text = text; mentions(text) {
		later |= laterText
	} else {
		e.Text = r.block(text, "  ")
	}
	if e.NextSteps = ev.NextSteps; mentions(ev.NextSteps) {
		later |= laterNextSteps
	} else {
		e.NextSteps = r.block(ev.NextSteps, "  ")
	}
	if e.From = ev.From; namesSomeone(ev.From) {
		later |= laterFrom
	} else {
		e.From = r.value(ev.Kind, ev.From)
	}
	if e.To = ev.To; namesSomeone(ev.To) {
		later |= laterTo
	} else {
		e.To = r.value(ev.Kind, ev.To)
	}
	if ev.Role != "" {
		if e.Role = ev.Role; mentions(roleName(settings, ev.Role)) {
			later |= laterRole
		} else {
			e.Role = r.inline(roleName(settings, ev.Role))
		}
	}
	if !kindFlag(&e, ev.Kind) {
		if mentions(e.Kind) {
			later |= laterKind
		} else {
			e.Kind = r.inline(e.Kind) // unknown: shown as recorded, so escaped
		}
	}
	return e, later
}

// finish renders the fields of e that later says wait for names.
func (r *renderer) finish(e Entry, later uint8, settings incident.Settings) Entry {
	e.Actor = r.actor(e.Actor)
	kind := incident.EventKind(e.Kind) // still raw for every kind value reads
	if later&laterText != 0 {
		e.Text = r.block(e.Text, "  ")
	}
	if later&laterNextSteps != 0 {
		e.NextSteps = r.block(e.NextSteps, "  ")
	}
	if later&laterFrom != 0 {
		e.From = r.value(kind, e.From)
	}
	if later&laterTo != 0 {
		e.To = r.value(kind, e.To)
	}
	if later&laterRole != 0 {
		e.Role = r.inline(roleName(settings, e.Role))
	}
	if later&laterKind != 0 {
		e.Kind = r.inline(e.Kind)
	}
	return e
}

// mentions reports whether rendering s needs a name: only a user mention
// does (see people).
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
