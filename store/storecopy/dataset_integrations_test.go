package storecopy_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/storecopy"
)

// fillIntegrations is fill's part for the integrations, as the Alertmanager
// receiver and the incident API write them, about fill's incidents.
func fillIntegrations(t *testing.T, st storecopy.Store, n2, n4, n5, n6, n7 uint64) {
	t.Helper()
	ns := 123456789 * time.Nanosecond
	// INC-4 declared from a group with two alerts still firing, INC-2's
	// group resolved and told so, a suggestion not taken up; the rate
	// limit's notes of the last minute (the first one forgotten); two
	// Idempotency-Keys of the API.
	update(t, st, func(tx store.Tx) error {
		groups := []store.AlertGroup{
			{Key: `{}/{severity="page"}:{alertname="QueueBacklog"}`, ID: "ag-backlog", Incident: n4, Mode: "declare",
				Title: "QueueBacklog", Summary: "jobs pile up", Severity: "SEV2", Service: "checkout", FirstSeen: t0.Add(-time.Minute + ns),
				Firing: map[string]store.FiringAlert{
					"a1b2": {StartsAt: t0.Add(-2*time.Minute + ns), Name: "QueueBacklog queue=orders", Link: "http://prom:9090/graph?g0.expr=up"},
					"c3d4": {StartsAt: t0.Add(-time.Minute), Name: "QueueBacklog queue=mail"},
				}},
			{Key: `{}:{alertname="Payments5xx"}`, ID: "ag-payments", Incident: n2, Mode: "declare", Title: "Payments5xx",
				Severity: "SEV1", ResolveOffered: true, FirstSeen: t0.AddDate(0, 0, -2)},
			{Key: `{}:{alertname="DiskFilling"}`, ID: "ag-disk", Mode: "suggest", Title: "DiskFilling", Suggested: true,
				FirstSeen: t0.Add(-10 * time.Minute),
				Firing:    map[string]store.FiringAlert{"e5f6": {StartsAt: t0.Add(-10 * time.Minute), Name: "DiskFilling device=sda"}}},
		}
		for _, g := range groups {
			if err := tx.PutAlertGroup(g); err != nil {
				return err
			}
		}
		for _, d := range []struct {
			at time.Time
			n  uint64
		}{{t0.AddDate(0, 0, -2), n2}, {t0.Add(90*time.Second + ns), n4}, {t0.Add(2 * time.Minute), n6}, {t0.Add(2*time.Minute + 10*time.Second), n5}} {
			if err := tx.RecordAlertDeclaration(d.at, d.n, d.at.Add(-time.Minute)); err != nil {
				return err
			}
		}
		if err := tx.PutAPIRequest("retry-me-7f3a", store.APIRequest{Digest: "9c1e", Incident: n5, At: t0.Add(time.Minute + ns)}); err != nil {
			return err
		}
		return tx.PutAPIRequest("Deploy-2026-03-01", store.APIRequest{Digest: "04ab", Incident: n7, At: t0.Add(3 * time.Minute)})
	})
}

// declaration and apiRequest are what ForEachAlertDeclaration and
// ForEachAPIRequest hand out, as one value.
type declaration struct {
	At     time.Time
	Number uint64
}

type apiRequest struct {
	Key string
	store.APIRequest
}
