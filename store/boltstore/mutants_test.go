package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
	"github.com/incidentbot/incidentbot/store/storetest"
)

// mutants are deliberately broken backends, each the bbolt store with one
// promise of the contract broken the way a new backend might break it,
// and the contract subtest that must catch it.
var mutants = []struct{ name, subtest string }{
	{"incident-drops-nanoseconds", "CreateAndGetIncident"},
	{"create-burns-a-number", "IncidentNumbers"},
	{"put-loses-not-found", "PutIncident"},
	{"channel-index-forgets-resolved", "ChannelIndex"},
	{"foreach-ignores-fn-error", "OpenIncidentsAndForEach"},
	{"open-headlines-keep-resolved", "OpenHeadlines"},
	{"open-headlines-drop-nanoseconds", "OpenHeadlines"},
	{"declared-since-oldest-first", "IncidentsDeclaredSince"},
	{"events-reversed", "Events"},
	{"foreach-event-ignores-fn-error", "ForEachEvent"},
	{"due-reminders-exclude-now", "Reminders"},
	{"nudges-latest-first", "PostmortemNudges"},
	{"archives-ignore-limit", "Archives"},
	{"pending-after-inclusive", "OutboxFIFO"},
	{"complete-missing-fails", "JobLifecycle"},
	{"mark-seen-never-seen", "DeliveryKeys"},
	{"each-alert-group-ignores-fn-error", "ForEachAlertGroup"},
	{"each-alert-declaration-drops-nanoseconds", "ForEachAlertDeclaration"},
	{"each-api-request-skips-the-first", "ForEachAPIRequest"},
	{"each-alert-group-repeats-past-a-page", "ForEachIntegrationsAcrossPages"},
	{"prune-alert-groups-by-first-seen", "PruneAlertGroups"},
	{"prune-api-requests-newest-first", "PruneAPIRequests"},
	{"update-commits-on-error", "FailedUpdateLeavesNoTrace"},
	{"update-swallows-panic", "PanickingUpdateLeavesNoTrace"},
	{"update-ignores-context", "CanceledUpdateDoesNotRun"},
	{"view-writes", "ViewIsReadOnly"},
}

const mutantEnv = "BOLTSTORE_CONTRACT_MUTANT"

// Every contract subtest fails on a backend that breaks its promise: the
// test binary runs each mutant's subtest again in a child process, which
// must fail. (The concurrency subtest has no mutant: a lost update is a
// race, and a mutant that only sometimes loses one would make this flaky.)
func TestContractCatchesMutants(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("inside a mutant run")
	}
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestContractMutant$/^"+m.subtest+"$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), mutantEnv+"="+m.name)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "--- FAIL: TestContractMutant/"+m.subtest) {
				t.Errorf("contract subtest %s passed against mutant %s (err %v):\n%s", m.subtest, m.name, err, out)
			}
		})
	}
}

// TestContractMutant is the child of TestContractCatchesMutants.
func TestContractMutant(t *testing.T) {
	m := os.Getenv(mutantEnv)
	if m == "" {
		t.Skip("run by TestContractCatchesMutants")
	}
	storetest.Contract(t, func(t *testing.T) storetest.Backend {
		return mutant{Store: bolttest.OpenWith(t, boltstore.Options{IndexArchives: true}), m: m}
	})
}

type mutant struct {
	*boltstore.Store
	m string
}

func (b mutant) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	wrap := func(tx store.Tx) error { return fn(mutantTx{tx, b.m}) }
	switch b.m {
	case "update-commits-on-error":
		var ferr error
		if err := b.Store.Update(ctx, func(tx store.Tx) error { ferr = wrap(tx); return nil }); err != nil {
			return err
		}
		return ferr
	case "update-swallows-panic":
		var perr error
		err := b.Store.Update(ctx, func(tx store.Tx) error {
			defer func() {
				if r := recover(); r != nil {
					perr = fmt.Errorf("panic: %v", r)
				}
			}()
			return wrap(tx)
		})
		return errors.Join(err, perr)
	case "update-ignores-context":
		ctx = context.Background()
	}
	return b.Store.Update(ctx, wrap)
}

func (b mutant) View(fn func(tx store.Tx) error) error {
	if b.m == "view-writes" {
		return b.Store.Update(context.Background(), fn)
	}
	return b.Store.View(func(tx store.Tx) error { return fn(mutantTx{tx, b.m}) })
}

func (b mutant) PendingJobsAfter(after uint64, limit int) ([]store.Job, error) {
	if b.m == "pending-after-inclusive" && after > 0 {
		after--
	}
	return b.Store.PendingJobsAfter(after, limit)
}

type mutantTx struct {
	store.Tx
	m string
}

func (tx mutantTx) Incident(n uint64) (*incident.Incident, error) {
	inc, err := tx.Tx.Incident(n)
	if err == nil && tx.m == "incident-drops-nanoseconds" {
		inc.DeclaredAt = inc.DeclaredAt.Truncate(time.Second)
	}
	return inc, err
}

func (tx mutantTx) CreateIncident(inc *incident.Incident) error {
	if tx.m == "create-burns-a-number" {
		if err := tx.Tx.CreateIncident(&incident.Incident{Title: "burnt", Status: incident.Resolved}); err != nil {
			return err
		}
	}
	return tx.Tx.CreateIncident(inc)
}

func (tx mutantTx) PutIncident(inc *incident.Incident) error {
	err := tx.Tx.PutIncident(inc)
	if err != nil && tx.m == "put-loses-not-found" {
		return errors.New(err.Error())
	}
	return err
}

func (tx mutantTx) IncidentByChannel(channel string) (*incident.Incident, error) {
	inc, err := tx.Tx.IncidentByChannel(channel)
	if err == nil && tx.m == "channel-index-forgets-resolved" && !inc.Open() {
		return nil, store.ErrNotFound
	}
	return inc, err
}

func (tx mutantTx) ForEachIncident(fn func(*incident.Incident) error) error {
	if tx.m == "foreach-ignores-fn-error" {
		return tx.Tx.ForEachIncident(func(inc *incident.Incident) error { _ = fn(inc); return nil })
	}
	return tx.Tx.ForEachIncident(fn)
}

func (tx mutantTx) OpenHeadlines() ([]incident.Headline, error) {
	switch tx.m {
	case "open-headlines-keep-resolved":
		var all []incident.Headline
		err := tx.Tx.ForEachIncident(func(inc *incident.Incident) error {
			all = append(all, incident.Headline{Number: inc.Number, Title: inc.Title, Service: inc.Service, DeclaredAt: inc.DeclaredAt, Drill: inc.Drill})
			return nil
		})
		return all, err
	case "open-headlines-drop-nanoseconds":
		titles, err := tx.Tx.OpenHeadlines()
		for i := range titles {
			titles[i].DeclaredAt = titles[i].DeclaredAt.Truncate(time.Second)
		}
		return titles, err
	}
	return tx.Tx.OpenHeadlines()
}

func (tx mutantTx) IncidentsDeclaredSince(since time.Time, fn func(*incident.Incident) error) error {
	if tx.m != "declared-since-oldest-first" {
		return tx.Tx.IncidentsDeclaredSince(since, fn)
	}
	var all []*incident.Incident
	if err := tx.Tx.IncidentsDeclaredSince(since, func(inc *incident.Incident) error { all = append(all, inc); return nil }); err != nil {
		return err
	}
	slices.Reverse(all)
	for _, inc := range all {
		if err := fn(inc); err != nil {
			return err
		}
	}
	return nil
}

func (tx mutantTx) Events(n uint64) ([]incident.Event, error) {
	evs, err := tx.Tx.Events(n)
	if tx.m == "events-reversed" {
		slices.Reverse(evs)
	}
	return evs, err
}

func (tx mutantTx) ForEachEvent(n uint64, fn func(incident.Event) error) error {
	if tx.m == "foreach-event-ignores-fn-error" {
		return tx.Tx.ForEachEvent(n, func(ev incident.Event) error { _ = fn(ev); return nil })
	}
	return tx.Tx.ForEachEvent(n, fn)
}

func (tx mutantTx) DueReminders(now time.Time) ([]store.Reminder, error) {
	rs, err := tx.Tx.DueReminders(now)
	if tx.m == "due-reminders-exclude-now" {
		rs = slices.DeleteFunc(rs, func(r store.Reminder) bool { return r.Due.Equal(now) })
	}
	return rs, err
}

func (tx mutantTx) PostmortemNudges(by time.Time) ([]store.Nudge, error) {
	ns, err := tx.Tx.PostmortemNudges(by)
	if tx.m == "nudges-latest-first" {
		slices.Reverse(ns)
	}
	return ns, err
}

func (tx mutantTx) ArchivesDue(by time.Time, limit int) ([]store.Nudge, error) {
	if tx.m == "archives-ignore-limit" {
		limit = 0
	}
	return tx.Tx.ArchivesDue(by, limit)
}

func (tx mutantTx) CompleteJob(id uint64) error {
	if tx.m == "complete-missing-fails" {
		if _, err := tx.Tx.Job(id); err != nil {
			return err
		}
	}
	return tx.Tx.CompleteJob(id)
}

func (tx mutantTx) MarkSeen(key string, at time.Time) (bool, error) {
	seen, err := tx.Tx.MarkSeen(key, at)
	if tx.m == "mark-seen-never-seen" {
		seen = false
	}
	return seen, err
}

func (tx mutantTx) ForEachAlertGroup(fn func(store.AlertGroup) error) error {
	switch tx.m {
	case "each-alert-group-ignores-fn-error":
		return tx.Tx.ForEachAlertGroup(func(g store.AlertGroup) error { _ = fn(g); return nil })
	case "each-alert-group-repeats-past-a-page":
		// A keyset page that starts at its last key again (>= for >).
		i := 0
		return tx.Tx.ForEachAlertGroup(func(g store.AlertGroup) error {
			if i++; i == 256 {
				if err := fn(g); err != nil {
					return err
				}
			}
			return fn(g)
		})
	}
	return tx.Tx.ForEachAlertGroup(fn)
}

func (tx mutantTx) ForEachAlertDeclaration(fn func(time.Time, uint64) error) error {
	if tx.m == "each-alert-declaration-drops-nanoseconds" {
		return tx.Tx.ForEachAlertDeclaration(func(at time.Time, n uint64) error { return fn(at.Truncate(time.Second), n) })
	}
	return tx.Tx.ForEachAlertDeclaration(fn)
}

func (tx mutantTx) ForEachAPIRequest(fn func(string, store.APIRequest) error) error {
	first := true
	return tx.Tx.ForEachAPIRequest(func(k string, r store.APIRequest) error {
		if first && tx.m == "each-api-request-skips-the-first" {
			first = false
			return nil
		}
		return fn(k, r)
	})
}

func (tx mutantTx) PruneAlertGroups(before time.Time, limit int) (int, error) {
	if tx.m != "prune-alert-groups-by-first-seen" {
		return tx.Tx.PruneAlertGroups(before, limit)
	}
	// Decides every quiet group by when it was first seen, as if it were a
	// suggestion, whatever became of its incident.
	var withIncident []store.AlertGroup
	if err := tx.Tx.ForEachAlertGroup(func(g store.AlertGroup) error {
		if g.Incident != 0 {
			withIncident = append(withIncident, g)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, g := range withIncident {
		g.Incident = 0
		if err := tx.Tx.PutAlertGroup(g); err != nil {
			return 0, err
		}
	}
	n, err := tx.Tx.PruneAlertGroups(before, limit)
	for _, g := range withIncident {
		if _, ok, _ := tx.Tx.AlertGroup(g.Key); ok {
			_ = tx.Tx.PutAlertGroup(g)
		}
	}
	return n, err
}

func (tx mutantTx) PruneAPIRequests(before time.Time, limit int) (int, error) {
	if tx.m != "prune-api-requests-newest-first" || limit <= 0 {
		return tx.Tx.PruneAPIRequests(before, limit)
	}
	// Keeps the oldest: prunes all it may, then puts the oldest back.
	type rec struct {
		key string
		r   store.APIRequest
	}
	var old []rec
	if err := tx.Tx.ForEachAPIRequest(func(k string, r store.APIRequest) error {
		if r.At.Before(before) {
			old = append(old, rec{k, r})
		}
		return nil
	}); err != nil {
		return 0, err
	}
	if _, err := tx.Tx.PruneAPIRequests(before, 0); err != nil {
		return 0, err
	}
	slices.SortFunc(old, func(a, b rec) int { return a.r.At.Compare(b.r.At) })
	for _, o := range old[:max(len(old)-limit, 0)] {
		if err := tx.Tx.PutAPIRequest(o.key, o.r); err != nil {
			return 0, err
		}
	}
	return min(limit, len(old)), nil
}
