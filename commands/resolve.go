package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// ResolveInput is `/incident resolve [SUMMARY…]` typed in Channel.
type ResolveInput struct {
	Channel string
	// Summary says how it ended; optional.
	Summary string
	By      string
	// IdempotencyKey identifies the delivery (the slash command's
	// trigger_id).
	IdempotencyKey string
}

// ResolveResult is the outcome of Resolve.
type ResolveResult struct {
	Incident  *incident.Incident
	Duplicate bool
}

// Resolve marks the incident of in.Channel resolved in one transaction:
// the resolution time and summary, a resolution event, the final update
// posted in the channel and the announcement's thread, the next step (the
// postmortem) in the channel, and the card, topic and announcement
// refreshed. The reminder stops. Resolving a resolved incident is an
// ECONFLICT error that changes nothing.
func (s *Service) Resolve(ctx context.Context, in ResolveInput) (ResolveResult, error) {
	in.Summary = strings.TrimSpace(in.Summary)
	if in.By == "" {
		return ResolveResult{}, incident.Errorf(incident.EINVALID, "resolving needs the user who resolves")
	}
	now := s.now()
	var res ResolveResult
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		res = ResolveResult{}
		dup, err := seen(tx, "resolve", in.IdempotencyKey, now)
		if err != nil || dup {
			res.Duplicate = dup
			return err
		}
		inc, err := s.incidentIn(tx, in.Channel)
		if err != nil {
			return err
		}
		if !inc.Open() {
			return incident.Errorf(incident.ECONFLICT, "%s is already resolved (it was resolved at %s UTC); nothing changed. Next step: `%s postmortem` drafts the write-up.",
				inc.ID(), inc.ResolvedAt.UTC().Format("2006-01-02 15:04"), s.command())
		}
		from := inc.Status
		if err := inc.SetStatus(incident.Resolved, now); err != nil {
			return err
		}
		inc.Resolution = in.Summary
		inc.LastUpdateAt, inc.NextUpdateAt, inc.MissedUpdates = now, time.Time{}, 0
		ev, err := tx.AppendEvent(inc.Number, incident.Event{
			At: now, Kind: incident.EventResolved, Actor: in.By, From: string(from), To: string(incident.Resolved), Text: in.Summary,
		})
		if err != nil {
			return err
		}
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		if err := tx.ClearReminder(inc.Number); err != nil {
			return err
		}
		if err := enqueueUpdatePosts(tx, inc, ev); err != nil {
			return err
		}
		if err := enqueuePost(tx, inc.Number, TargetChannel, "resolved.tmpl", ev); err != nil {
			return err
		}
		if err := enqueueRefresh(tx, inc); err != nil {
			return err
		}
		res.Incident = inc
		return nil
	})
	if err != nil {
		return ResolveResult{}, fmt.Errorf("resolve in %s: %w", in.Channel, err)
	}
	return res, nil
}
