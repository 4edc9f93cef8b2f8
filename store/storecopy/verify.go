package storecopy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// Tally is what a store holds, counted: what Copy compares between the
// source and the copy, and reports.
type Tally struct {
	Incidents, Open int
	// Events is how many events each incident has (none: absent).
	Events    map[uint64]int
	Reminders int
	// Jobs is how many outbox jobs are pending, JobsOf how many of them
	// belong to each incident (0: none).
	Jobs           int
	JobsOf         map[uint64]int
	Nudges         int
	Archives       int
	Keys           int
	RememberedKeys int
	// The integrations' records: alert groups and the firing alerts they
	// hold, declarations from alerts, API Idempotency-Keys.
	AlertGroups, FiringAlerts, AlertDeclarations, APIRequests int
	Counters                                                  store.Counters
}

// Count counts what st holds, in one read transaction.
func Count(st Store) (Tally, error) {
	t := Tally{Events: map[uint64]int{}, JobsOf: map[uint64]int{}}
	err := st.View(func(tx store.Tx) error {
		// The schedules are counted by the records they stand for, as
		// copyIncident copies them: an entry of an incident that is gone,
		// or in the wrong state, is damage the copy leaves behind, and
		// must not read as a copy that lost something.
		resolved := map[uint64]bool{}
		err := tx.ForEachIncident(func(inc *incident.Incident) error {
			t.Incidents++
			if inc.Open() {
				t.Open++
				_, ok, err := tx.Reminder(inc.Number)
				if err != nil {
					return err
				}
				if ok {
					t.Reminders++
				}
			} else {
				resolved[inc.Number] = true
			}
			evs, err := tx.Events(inc.Number)
			if len(evs) > 0 {
				t.Events[inc.Number] = len(evs)
			}
			return err
		})
		if err != nil {
			return err
		}
		err = tx.ForEachJob(func(j store.Job) error {
			t.Jobs++
			t.JobsOf[j.Incident]++
			return nil
		})
		if err != nil {
			return err
		}
		entries, err := resolutionEntries(tx)
		if err != nil {
			return err
		}
		for n, e := range entries {
			if !resolved[n] {
				continue
			}
			if e.nudge != nil {
				t.Nudges++
			}
			if e.archive != nil {
				t.Archives++
			}
		}
		err = tx.ForEachDeliveryKey(func(k store.DeliveryKey) error {
			t.Keys++
			if k.Remembered {
				t.RememberedKeys++
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := countIntegrations(tx, &t); err != nil {
			return err
		}
		t.Counters, err = tx.Counters()
		return err
	})
	return t, err
}

// EventCount is the number of events of all incidents.
func (t Tally) EventCount() int {
	n := 0
	for _, c := range t.Events {
		n += c
	}
	return n
}

// Diff says how got differs from t ("" when it does not), at most a few
// differences, source's value first.
func (t Tally) Diff(got Tally) string {
	var d []string
	cmp := func(what string, want, have uint64) {
		if want != have {
			d = append(d, fmt.Sprintf("%s: %d in the source, %d in the copy", what, want, have))
		}
	}
	cmp("incidents", uint64(t.Incidents), uint64(got.Incidents))
	cmp("open incidents", uint64(t.Open), uint64(got.Open))
	for _, n := range union(t.Events, got.Events) {
		cmp("events of "+incident.FormatID(n), uint64(t.Events[n]), uint64(got.Events[n]))
	}
	cmp("reminders", uint64(t.Reminders), uint64(got.Reminders))
	cmp("pending jobs", uint64(t.Jobs), uint64(got.Jobs))
	for _, n := range union(t.JobsOf, got.JobsOf) {
		what := "pending jobs of " + incident.FormatID(n)
		if n == 0 {
			what = "pending jobs of no incident"
		}
		cmp(what, uint64(t.JobsOf[n]), uint64(got.JobsOf[n]))
	}
	cmp("postmortem nudges", uint64(t.Nudges), uint64(got.Nudges))
	cmp("archive entries", uint64(t.Archives), uint64(got.Archives))
	cmp("delivery keys", uint64(t.Keys), uint64(got.Keys))
	cmp("remembered keys", uint64(t.RememberedKeys), uint64(got.RememberedKeys))
	cmp("alert groups", uint64(t.AlertGroups), uint64(got.AlertGroups))
	cmp("firing alerts", uint64(t.FiringAlerts), uint64(got.FiringAlerts))
	cmp("alert declarations", uint64(t.AlertDeclarations), uint64(got.AlertDeclarations))
	cmp("API idempotency keys", uint64(t.APIRequests), uint64(got.APIRequests))
	cmp("last incident number", t.Counters.Incident, got.Counters.Incident)
	cmp("last job ID", t.Counters.Job, got.Counters.Job)
	if len(d) > 5 {
		d = append(d[:5], fmt.Sprintf("%d more", len(d)-5))
	}
	return strings.Join(d, "; ")
}

func union(a, b map[uint64]int) []uint64 {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// String is the one-paragraph summary the command prints. The
// integrations' records are named only when there are some: a bot that
// never used them has none, and its summary reads as it always did.
func (t Tally) String() string {
	var integrations string
	if t.AlertGroups+t.AlertDeclarations+t.APIRequests > 0 {
		integrations = fmt.Sprintf(", %d alert groups (%d firing alerts), %d alert declarations, %d API idempotency keys",
			t.AlertGroups, t.FiringAlerts, t.AlertDeclarations, t.APIRequests)
	}
	return fmt.Sprintf("%d incidents (%d open), %d events, %d reminders, %d pending jobs, %d postmortem nudges, %d archive entries, %d delivery keys (%d remembered)%s; next incident INC-%d, next job ID %d",
		t.Incidents, t.Open, t.EventCount(), t.Reminders, t.Jobs, t.Nudges, t.Archives, t.Keys, t.RememberedKeys, integrations, t.Counters.Incident+1, t.Counters.Job+1)
}
