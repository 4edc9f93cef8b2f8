package postmortem_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/postmortem"
)

// randomRecord is an incident with a timeline of every kind of event, in
// record order but with times that often go back (captured messages carry
// their own, earlier time), people in every field and mentions in text.
func randomRecord(seed uint64) postmortem.Record {
	rng := rand.New(rand.NewPCG(seed, 7))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	users := []string{alice, bob, carol, dave, ""}
	kinds := []incident.EventKind{incident.EventDeclared, incident.EventSeverityChanged, incident.EventStatusChanged, incident.EventRoleAssigned,
		incident.EventRoleHandoff, incident.EventUpdate, incident.EventNote, incident.EventMessagePinned, incident.EventResolved, "kind_<@" + alice + ">", "unknown"}
	texts := []string{"", "plain text", "ask <@" + bob + "> first", "two\n\nlines *x* <@UZED00001|zed>", "<#C123|chan> and <https://x|y>", "&amp; <@" + dave + ">"}
	values := []string{"", "SEV1", "SEV2", "sev3", "investigating", "identified", alice, carol, "text <@" + bob + ">"}
	roles := []string{"", incident.RoleCommander, incident.RoleComms, "ops", "custom<@" + alice + ">"}
	at0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	inc := &incident.Incident{Number: 3, Title: pick(texts) + "t", Summary: pick(texts), Severity: pick([]string{"SEV1", "SEV2", "SEV3"}),
		Status: incident.Investigating, DeclaredBy: pick(users), DeclaredAt: at0, StartedAt: at0.Add(-time.Duration(rng.IntN(3)) * time.Minute),
		Roles: map[string]string{incident.RoleCommander: pick(users), "gone": pick(users)}, Service: pick([]string{"", "checkout"})}
	if rng.IntN(2) == 0 {
		inc.Status, inc.ResolvedAt = incident.Resolved, at0.Add(time.Hour)
	}
	if rng.IntN(2) == 0 {
		inc.Actions = []incident.ActionItem{{Text: pick(texts) + "a", Owner: pick(users), CreatedBy: pick(users), CreatedAt: at0}}
	}
	var evs []incident.Event
	at := at0
	for i := range rng.IntN(40) {
		at = at.Add(time.Duration(rng.IntN(3)) * time.Minute)
		ev := incident.Event{Seq: uint64(i + 1), At: at, Kind: kinds[rng.IntN(len(kinds))], Actor: pick(users), Text: pick(texts),
			NextSteps: pick(texts), From: pick(values), To: pick(values), Role: pick(roles), Link: pick([]string{"", "https://example.com/x"})}
		if rng.IntN(5) == 0 {
			ev.At = at0.Add(time.Duration(rng.IntN(60)-10) * time.Minute)
		}
		evs = append(evs, ev)
	}
	return postmortem.Record{Incident: inc, Events: evs}
}

// The draft tells the timeline by when things happened, whatever order the
// events are handed over in, one at a time: the same draft as from the
// timeline sorted by time (record order among equals) — which is what a
// builder cannot do itself without holding every event.
func TestDraftOrdersByTimeWhateverTheRecordOrder(t *testing.T) {
	names := func(id string) string {
		if id == bob {
			return "Bob *B*"
		}
		return ""
	}
	for seed := range uint64(300) {
		rec := randomRecord(seed)
		sorted := postmortem.Record{Incident: rec.Incident, Events: slices.Clone(rec.Events)}
		slices.SortStableFunc(sorted.Events, func(a, b incident.Event) int { return a.At.Compare(b.At) })
		for _, nm := range []func(string) string{nil, names} {
			opt := postmortem.Options{Settings: incident.DefaultSettings(), Names: nm}
			got, want := postmortem.Build(rec, opt), postmortem.Build(sorted, opt)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d: draft of the record\n%+v\ndiffers from the draft of it sorted by time\n%+v", seed, got, want)
			}
			if people := appearing(sorted); len(got.People) != len(people) {
				t.Fatalf("seed %d: people %q, want %d: %v", seed, got.People, len(people), people)
			} else {
				for i, id := range people {
					want := "@" + id
					if nm != nil && id == bob {
						want = "Bob *B*"
					}
					if shown := strings.ReplaceAll(got.People[i], `\`, ""); shown != want {
						t.Fatalf("seed %d: person %d is %q, want %q (%v)", seed, i, got.People[i], want, people)
					}
				}
			}
		}
	}
}

// A builder collects the people to look up in the same pass that builds
// the draft: the same list, in the same order, as UserIDs of the record.
func TestBuilderUserIDsAreTheRecordsUserIDs(t *testing.T) {
	for seed := range uint64(500) {
		rec := randomRecord(seed)
		b := postmortem.NewBuilder(rec.Incident, postmortem.Options{})
		for _, ev := range rec.Events {
			b.Add(ev)
		}
		if got, want := b.UserIDs(), postmortem.UserIDs(rec); !slices.Equal(got, want) {
			t.Fatalf("seed %d: builder's user IDs %v, want %v", seed, got, want)
		}
		if b.Events() != len(rec.Events) {
			t.Fatalf("seed %d: builder counted %d events, want %d", seed, b.Events(), len(rec.Events))
		}
	}
}

// appearing lists the people of rec in the order the draft names them:
// the declarer, then each event's actor and the person a role goes to, in
// time order, then the owners of action items.
func appearing(rec postmortem.Record) []string {
	var out []string
	add := func(id string) {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	add(rec.Incident.DeclaredBy)
	for _, ev := range rec.Events {
		add(ev.Actor)
		if ev.Kind == incident.EventRoleAssigned || ev.Kind == incident.EventRoleHandoff {
			add(ev.To)
		}
	}
	for _, a := range rec.Incident.Actions {
		add(a.Owner)
	}
	return out
}
