package postmortem

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/incident"
)

// This file is about the people a draft names: how each is shown, and
// who the record mentions, for a caller to look their names up.

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
