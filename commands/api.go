package commands

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// APIDeclareResult is the outcome of DeclareOverAPI.
type APIDeclareResult struct {
	Incident *incident.Incident
	// Replayed is true when the Idempotency-Key had declared Incident
	// already, for the same request: nothing was declared.
	Replayed bool
}

// DeclareOverAPI declares as the form does (same validation, same side
// effects), declared by DeclaredByAPI. A non-empty key makes it
// idempotent: a retry with the same key and the same request (digest)
// returns the incident the first one declared; the same key with another
// request is an ECONFLICT error.
func (s *Service) DeclareOverAPI(ctx context.Context, in DeclareInput, key, digest string) (APIDeclareResult, error) {
	in.DeclaredBy, in.IdempotencyKey, in.Drill = DeclaredByAPI, "", false
	in, err := s.ValidateDeclare(in)
	if err != nil {
		return APIDeclareResult{}, err
	}
	if in.Private && in.Commander == "" {
		// Only its channel's members see a private incident, and the API
		// is nobody: without a commander the channel would hold the bot alone.
		return APIDeclareResult{}, fieldErr("commander", "A private incident needs a commander: only the members of its channel see it, and the commander is the first one invited.")
	}
	return runFor(ctx, s, "declare over the API", "", APIDeclareResult{}, func(tx store.Tx, now time.Time, res *APIDeclareResult) error {
		if key != "" {
			prev, ok, err := tx.APIRequest(key)
			if err != nil {
				return err
			}
			if ok {
				if prev.Digest != digest {
					return incident.Errorf(incident.ECONFLICT, "this Idempotency-Key was used for a different request (it declared %s); use a new key for a new incident", incident.FormatID(prev.Incident))
				}
				inc, err := tx.Incident(prev.Incident)
				if err != nil {
					return err
				}
				res.Incident, res.Replayed = inc, true
				return nil
			}
		}
		inc, err := s.declareIn(tx, in, now)
		if err != nil {
			return err
		}
		res.Incident = inc
		if key != "" {
			return tx.PutAPIRequest(key, store.APIRequest{Digest: digest, Incident: inc.Number, At: now})
		}
		return nil
	})
}

// AllIncidents returns every incident (open only, when openOnly), newest
// first, at most limit of them. Private ones are included: the API's
// caller holds the operators' token.
func (s *Service) AllIncidents(openOnly bool, limit int) ([]*incident.Incident, error) {
	var out []*incident.Incident
	err := s.Store.View(func(tx store.Tx) error {
		if openOnly {
			var err error
			out, err = tx.OpenIncidents()
			return err
		}
		return tx.ForEachIncident(func(inc *incident.Incident) error {
			out = append(out, inc)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number > out[j].Number })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// IncidentByNumber returns one incident, or an ENOTFOUND error.
func (s *Service) IncidentByNumber(number uint64) (*incident.Incident, error) {
	var inc *incident.Incident
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		inc, err = tx.Incident(number)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, incident.Errorf(incident.ENOTFOUND, "%s does not exist", incident.FormatID(number))
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", incident.FormatID(number), err)
	}
	return inc, nil
}
