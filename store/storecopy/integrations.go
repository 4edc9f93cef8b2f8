package storecopy

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// begin is earlier than any instant a store keeps: recording a note with
// "forget what is before begin" forgets nothing.
var begin = time.Unix(0, math.MinInt64).UTC()

// copyIntegrations copies the integrations' records: the Alertmanager
// alert groups (so the next notification of a known group updates its
// incident instead of declaring another), the recent declarations from
// alerts (so the rate limit counts them), and the API's Idempotency-Keys
// (so a retry does not declare twice). The incidents they name are copied
// already, under the same numbers.
func copyIntegrations(in, out store.Tx) error {
	err := in.ForEachAlertGroup(func(g store.AlertGroup) error {
		if err := out.PutAlertGroup(g); err != nil {
			return fmt.Errorf("copy alert group %q: %w", g.Key, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = in.ForEachAlertDeclaration(func(at time.Time, n uint64) error {
		if err := out.RecordAlertDeclaration(at, n, begin); err != nil {
			return fmt.Errorf("copy alert declaration: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return in.ForEachAPIRequest(func(key string, r store.APIRequest) error {
		if err := out.PutAPIRequest(key, r); err != nil {
			// The key is a client's; it is not a secret, but quoted so
			// that odd bytes show.
			return fmt.Errorf("copy API request %q: %w", key, err)
		}
		return nil
	})
}

// integrationsHeld names the integrations' records tx holds, for
// requireEmpty.
func integrationsHeld(tx store.Tx) ([]string, error) {
	var what []string
	for _, c := range []struct {
		name string
		any  func() error
	}{
		{"alert groups", func() error { return tx.ForEachAlertGroup(func(store.AlertGroup) error { return errStop }) }},
		{"alert declarations", func() error {
			return tx.ForEachAlertDeclaration(func(time.Time, uint64) error { return errStop })
		}},
		{"API idempotency keys", func() error {
			return tx.ForEachAPIRequest(func(string, store.APIRequest) error { return errStop })
		}},
	} {
		if err := c.any(); errors.Is(err, errStop) {
			what = append(what, c.name)
		} else if err != nil {
			return nil, err
		}
	}
	return what, nil
}

// countIntegrations adds the integrations' records tx holds to t.
func countIntegrations(tx store.Tx, t *Tally) error {
	err := tx.ForEachAlertGroup(func(g store.AlertGroup) error {
		t.AlertGroups++
		t.FiringAlerts += len(g.Firing)
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.ForEachAlertDeclaration(func(time.Time, uint64) error { t.AlertDeclarations++; return nil })
	if err != nil {
		return err
	}
	return tx.ForEachAPIRequest(func(string, store.APIRequest) error { t.APIRequests++; return nil })
}
