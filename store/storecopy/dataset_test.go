package storecopy_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/storecopy"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// far is later than anything the data set schedules.
var far = t0.AddDate(10, 0, 0)

func update(t *testing.T, st storecopy.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := st.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// fill writes what a bot leaves behind after a busy week, the way the bot
// writes it: incidents in every state, timelines, reminders, resolutions
// whose nudge and archive were or were not acted on yet, a queue with
// retried and uncertain jobs behind completed ones, and delivery keys
// marked, remembered and pruned. Times carry nanoseconds on purpose.
func fill(t *testing.T, st storecopy.Store) {
	t.Helper()
	ns := 123456789 * time.Nanosecond
	declare := func(title, channel string, status incident.Status, at time.Time) uint64 {
		inc := &incident.Incident{
			Title: title, Summary: "what broke: " + title, Severity: "SEV2", Status: status, DeclaredBy: "U1",
			Service: "checkout", Roles: map[string]string{incident.RoleCommander: "U2", "comms": "U3"},
			StartedAt: at.Add(-time.Minute), DeclaredAt: at, ChannelID: channel, ChannelName: "inc-" + channel,
			CardTS: "1700000000.000100", NextUpdateAt: at.Add(30 * time.Minute),
		}
		update(t, st, func(tx store.Tx) error { return tx.CreateIncident(inc) })
		return inc.Number
	}
	events := func(n uint64, k int) {
		update(t, st, func(tx store.Tx) error {
			for i := range k {
				ev := incident.Event{At: t0.Add(time.Duration(i)*time.Minute + ns), Kind: incident.EventNote, Actor: "U2",
					Text: fmt.Sprintf("note %d of %s", i, incident.FormatID(n)), Link: "https://example.slack.com/archives/C1/p1"}
				if i == 1 {
					ev.Kind, ev.From, ev.To, ev.NextSteps, ev.NextUpdate = incident.EventUpdate, "investigating", "identified", "roll back", t0.Add(time.Hour+ns)
				}
				if _, err := tx.AppendEvent(n, ev); err != nil {
					return err
				}
			}
			return nil
		})
	}
	resolve := func(n uint64, at time.Time) {
		update(t, st, func(tx store.Tx) error {
			inc, err := tx.Incident(n)
			if err != nil {
				return err
			}
			inc.Status, inc.ResolvedAt, inc.Resolution = incident.Resolved, at, "rolled back"
			return tx.PutIncident(inc)
		})
	}
	drop := func(n uint64, at time.Time, nudge, archive bool) {
		update(t, st, func(tx store.Tx) error {
			e := store.Nudge{Incident: n, Resolved: at}
			if nudge {
				if err := tx.DropPostmortemNudge(e); err != nil {
					return err
				}
			}
			if archive {
				return tx.DropArchive(e)
			}
			return nil
		})
	}

	// INC-1: resolved long ago, nudged and archived: in neither index.
	n1 := declare("database failover", "C1", incident.Investigating, t0.AddDate(0, 0, -7))
	events(n1, 3)
	resolve(n1, t0.AddDate(0, 0, -6).Add(ns))
	drop(n1, t0.AddDate(0, 0, -6).Add(ns), true, true)
	// INC-2: resolved yesterday: its nudge and archive are still to come.
	n2 := declare("payments 502", "C2", incident.Investigating, t0.AddDate(0, 0, -2))
	events(n2, 5)
	resolve(n2, t0.AddDate(0, 0, -1).Add(ns))
	// INC-3: nudged, not archived yet.
	n3 := declare("login slow", "C3", incident.Identified, t0.AddDate(0, 0, -1))
	resolve(n3, t0.Add(-time.Hour+ns))
	drop(n3, t0.Add(-time.Hour+ns), true, false)
	// INC-4: open, a reminder due, a long timeline.
	n4 := declare("queue backlog", "C4", incident.Investigating, t0)
	events(n4, 12)
	update(t, st, func(tx store.Tx) error { return tx.SetReminder(n4, t0.Add(30*time.Minute+ns)) })
	// INC-5: open, monitoring, private, no reminder, no channel yet.
	n5 := declare("secret leak", "", incident.Monitoring, t0.Add(time.Minute))
	update(t, st, func(tx store.Tx) error {
		inc, err := tx.Incident(n5)
		if err != nil {
			return err
		}
		inc.Private, inc.Actions = true, []incident.ActionItem{{Text: "rotate keys"}}
		return tx.PutIncident(inc)
	})
	events(n5, 1)
	// INC-6: a drill, open, with a reminder.
	n6 := declare("game day", "C6", incident.Identified, t0.Add(2*time.Minute))
	update(t, st, func(tx store.Tx) error {
		inc, err := tx.Incident(n6)
		if err != nil {
			return err
		}
		inc.Drill = true
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		return tx.SetReminder(n6, t0.Add(10*time.Minute))
	})

	// INC-7: resolved by an older version that left ResolvedAt empty: the
	// store indexed it at the time of the commit, which the record lacks.
	n7 := declare("legacy", "C7", incident.Investigating, t0.Add(3*time.Minute))
	update(t, st, func(tx store.Tx) error {
		inc, err := tx.Incident(n7)
		if err != nil {
			return err
		}
		inc.Status = incident.Resolved
		return tx.PutIncident(inc)
	})

	// The outbox: 12 jobs, the done ones completed; the last one done
	// too, so the job counter is above every pending ID.
	var ids []uint64
	update(t, st, func(tx store.Tx) error {
		for i, inc := range []uint64{n4, n4, n5, 0, n4, n6, n5, n4, n6, n4, 0, n4} {
			j, err := tx.Enqueue(store.Job{Incident: inc, Kind: fmt.Sprintf("kind%d", i%4),
				Payload: json.RawMessage(fmt.Sprintf(`{"n":%d,"text":"ünïcode <!here>"}`, i)), CreatedAt: t0.Add(time.Duration(i)*time.Second + ns)})
			if err != nil {
				return err
			}
			ids = append(ids, j.ID)
		}
		return nil
	})
	update(t, st, func(tx store.Tx) error {
		for _, i := range []int{0, 2, 5, 11} {
			if err := tx.CompleteJob(ids[i]); err != nil {
				return err
			}
		}
		if err := tx.RescheduleJob(ids[1], 4, t0.Add(5*time.Minute+ns), "ratelimited: Retry-After 30"); err != nil {
			return err
		}
		if err := tx.RescheduleJob(ids[3], 1, t0.Add(time.Second), "timeout"); err != nil {
			return err
		}
		return tx.MarkJobMaybeDone(ids[3])
	})

	// Delivery keys.
	update(t, st, func(tx store.Tx) error {
		for i := range 6 {
			if _, err := tx.MarkSeen(fmt.Sprintf("event:Ev%02d", i), t0.Add(time.Duration(i-3)*time.Hour+ns)); err != nil {
				return err
			}
		}
		for _, k := range []string{"capture:C4:1700000000.000200", "capture:C2:1700000000.000300", "event:Ev05"} {
			if _, err := tx.Remember(k); err != nil {
				return err
			}
		}
		_, err := tx.PruneSeen(t0.Add(-90 * time.Minute)) // Ev00, Ev01
		return err
	})

	fillIntegrations(t, st, n2, n4, n5, n6, n7)
}

// snapshot is everything a store holds, read back through store.Tx.
type snapshot struct {
	Incidents []*incident.Incident
	Events    map[uint64][]incident.Event
	Reminders []store.Reminder
	Jobs      []store.Job
	Nudges    []store.Nudge
	Archives  []store.Nudge
	Keys      []store.DeliveryKey
	Groups    []store.AlertGroup
	Notes     []declaration
	Requests  []apiRequest
	Counters  store.Counters
}

func read(t *testing.T, st storecopy.Store) snapshot {
	t.Helper()
	s := snapshot{Events: map[uint64][]incident.Event{}}
	err := st.View(func(tx store.Tx) error {
		err := tx.ForEachIncident(func(inc *incident.Incident) error {
			s.Incidents = append(s.Incidents, inc)
			evs, err := tx.Events(inc.Number)
			s.Events[inc.Number] = evs
			return err
		})
		if err != nil {
			return err
		}
		if s.Reminders, err = tx.DueReminders(far); err != nil {
			return err
		}
		if err := tx.ForEachJob(func(j store.Job) error { s.Jobs = append(s.Jobs, j); return nil }); err != nil {
			return err
		}
		if s.Nudges, err = tx.PostmortemNudges(far); err != nil {
			return err
		}
		if s.Archives, err = tx.ArchivesDue(far, 0); err != nil {
			return err
		}
		if err := tx.ForEachDeliveryKey(func(k store.DeliveryKey) error { s.Keys = append(s.Keys, k); return nil }); err != nil {
			return err
		}
		if err := tx.ForEachAlertGroup(func(g store.AlertGroup) error { s.Groups = append(s.Groups, g); return nil }); err != nil {
			return err
		}
		err = tx.ForEachAlertDeclaration(func(at time.Time, n uint64) error {
			s.Notes = append(s.Notes, declaration{at, n})
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.ForEachAPIRequest(func(key string, r store.APIRequest) error {
			s.Requests = append(s.Requests, apiRequest{key, r})
			return nil
		})
		if err != nil {
			return err
		}
		s.Counters, err = tx.Counters()
		return err
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	// One backend says "none" with nil, the other with an empty slice.
	s.Reminders = append([]store.Reminder{}, s.Reminders...)
	s.Nudges = append([]store.Nudge{}, s.Nudges...)
	s.Archives = append([]store.Nudge{}, s.Archives...)
	s.Jobs = append([]store.Job{}, s.Jobs...)
	s.Keys = append([]store.DeliveryKey{}, s.Keys...)
	s.Groups = append([]store.AlertGroup{}, s.Groups...)
	s.Notes = append([]declaration{}, s.Notes...)
	s.Requests = append([]apiRequest{}, s.Requests...)
	return s
}

// sameSnapshot fails unless got and want hold the same, compared as JSON
// so that a time's monotonic reading or location never hides a
// difference in the instant.
func sameSnapshot(t *testing.T, got, want snapshot) {
	t.Helper()
	for _, part := range []struct {
		name      string
		got, want any
	}{
		{"incidents", got.Incidents, want.Incidents},
		{"events", got.Events, want.Events},
		{"reminders", got.Reminders, want.Reminders},
		{"jobs", got.Jobs, want.Jobs},
		{"postmortem nudges", got.Nudges, want.Nudges},
		{"archive entries", got.Archives, want.Archives},
		{"delivery keys", got.Keys, want.Keys},
		{"alert groups", got.Groups, want.Groups},
		{"alert declarations", got.Notes, want.Notes},
		{"API requests", got.Requests, want.Requests},
		{"counters", got.Counters, want.Counters},
	} {
		g, _ := json.Marshal(part.got)
		w, _ := json.Marshal(part.want)
		if string(g) != string(w) {
			t.Errorf("%s differ:\n got %s\nwant %s", part.name, g, w)
		}
	}
}
