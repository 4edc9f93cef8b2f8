// Package storetest holds the contract suite every storage backend must
// pass: Contract pins, against a real backend, what package store's doc
// promises (ordering, indexes, atomicity, not-found errors). It knows no
// backend; each one runs it from its own tests.
package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// Backend is the implementation under test: store.Backend, which
// *boltstore.Store and *pgstore.Store satisfy.
type Backend = store.Backend

// Contract runs the contract suite, one subtest per promise. open must
// return a new, empty backend for each subtest, with the archive index on
// (boltstore's Options.IndexArchives) and the real clock, and close it when
// the test ends (t.Cleanup). opts name the freedoms the contract leaves a
// backend that it claims; without them the suite holds it to bbolt's
// behaviour.
func Contract(t *testing.T, open func(t *testing.T) Backend, opts ...Option) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) { c.run(t, claims{open(t), o}) })
	}
}

// Option is a freedom the contract leaves a backend (see store's doc).
type Option func(*options)

type options struct {
	sequenceNumbers bool
}

// SequenceNumbers is a backend whose incident numbers come from a sequence
// that replicas share: an Update that fails for good skips the numbers it
// took, where bbolt gives them back. It still never hands a number out
// twice.
func SequenceNumbers() Option { return func(o *options) { o.sequenceNumbers = true } }

// claims is the Backend a subtest gets: the backend, and the freedoms it
// claims.
type claims struct {
	Backend
	options
}

// sequenceNumbers reports whether b claimed SequenceNumbers.
func sequenceNumbers(b Backend) bool {
	c, ok := b.(claims)
	return ok && c.sequenceNumbers
}

// contract is the suite, in the order store's doc lists the promises.
var contract = []struct {
	name string
	run  func(t *testing.T, b Backend)
}{
	{"CreateAndGetIncident", testCreateAndGet},
	{"IncidentNumbers", testIncidentNumbers},
	{"PutIncident", testPutIncident},
	{"ChannelIndex", testChannelIndex},
	{"OpenIncidentsAndForEach", testOpenAndForEach},
	{"OpenHeadlines", testOpenHeadlines},
	{"IncidentsDeclaredSince", testDeclaredSince},
	{"Events", testEvents},
	{"ForEachEvent", testForEachEvent},
	{"Reminders", testReminders},
	{"PostmortemNudges", testNudges},
	{"Archives", testArchives},
	{"OutboxFIFO", testOutboxFIFO},
	{"JobLifecycle", testJobLifecycle},
	{"DeliveryKeys", testDeliveryKeys},
	{"AlertGroups", testAlertGroups},
	{"AlertDeclarations", testAlertDeclarations},
	{"APIRequests", testAPIRequests},
	{"PruneAlertGroups", testPruneAlertGroups},
	{"PruneAPIRequests", testPruneAPIRequests},
	{"ForEachJob", testForEachJob},
	{"ForEachDeliveryKey", testForEachDeliveryKey},
	{"ForEachAlertGroup", testForEachAlertGroup},
	{"ForEachAlertDeclaration", testForEachAlertDeclaration},
	{"ForEachAPIRequest", testForEachAPIRequest},
	{"ForEachIntegrationsAcrossPages", testForEachIntegrationsAcrossPages},
	{"Counters", testCounters},
	{"FailedUpdateLeavesNoTrace", testRollback},
	{"PanickingUpdateLeavesNoTrace", testPanic},
	{"CanceledUpdateDoesNotRun", testCanceled},
	{"ViewIsReadOnly", testViewReadOnly},
	{"ConcurrentUpdatesSerialize", testConcurrent},
	{"SlackPace", testSlackPace},
}

// t0 is the suite's reference time. Times that end up in an index are
// whole seconds (every backend keeps those exactly); records carry
// nanoseconds, which a backend must keep as stored.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// errStop is what test callbacks return to stop an iteration or fail an
// Update on purpose.
var errStop = errors.New("storetest: stop")

func update(t *testing.T, b Backend, fn func(tx store.Tx) error) {
	t.Helper()
	if err := b.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, b Backend, fn func(tx store.Tx) error) {
	t.Helper()
	if err := b.View(fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// newIncident is an open incident declared at declared, in channel
// (none if "").
func newIncident(title, channel string, declared time.Time) *incident.Incident {
	return &incident.Incident{
		Title: title, Severity: "SEV2", Status: incident.Investigating, DeclaredBy: "U1",
		ChannelID: channel, DeclaredAt: declared, StartedAt: declared.Add(-time.Minute),
	}
}

// create stores inc in its own Update and returns its number.
func create(t *testing.T, b Backend, inc *incident.Incident) uint64 {
	t.Helper()
	update(t, b, func(tx store.Tx) error { return tx.CreateIncident(inc) })
	return inc.Number
}

// get reads incident n.
func get(t *testing.T, b Backend, n uint64) *incident.Incident {
	t.Helper()
	var inc *incident.Incident
	view(t, b, func(tx store.Tx) error {
		var err error
		inc, err = tx.Incident(n)
		return err
	})
	return inc
}

// resolve marks incident n resolved at at, in its own Update.
func resolve(t *testing.T, b Backend, n uint64, at time.Time) {
	t.Helper()
	update(t, b, func(tx store.Tx) error {
		inc, err := tx.Incident(n)
		if err != nil {
			return err
		}
		inc.Status, inc.ResolvedAt = incident.Resolved, at
		return tx.PutIncident(inc)
	})
}

// sameJSON fails unless got and want encode to the same JSON value (key
// order and spacing aside): a record must read back as it was stored.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := normal(t, got), normal(t, want)
	if !reflect.DeepEqual(g, w) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Errorf("%s:\n got %s\nwant %s", what, gj, wj)
	}
}

func normal(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantNotFound fails unless err wraps store.ErrNotFound.
func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: err = %v, want one wrapping store.ErrNotFound", what, err)
	}
}

// numbers lists the incidents' numbers.
func numbers(incs []*incident.Incident) []uint64 {
	out := make([]uint64, 0, len(incs))
	for _, inc := range incs {
		out = append(out, inc.Number)
	}
	return out
}
