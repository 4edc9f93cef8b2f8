package commands

import (
	"context"
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
	return runInFor(ctx, s, "resolve in "+in.Channel, deliveryKey("resolve", in.IdempotencyKey), in.Channel, ResolveResult{Duplicate: true}, func(tx store.Tx, inc *incident.Incident, now time.Time, res *ResolveResult) error {
		ev, err := inc.Resolve(in.Summary, in.By, now)
		if err != nil {
			return withHint(err, "Next step: `%s postmortem` drafts the write-up.", s.command())
		}
		if ev, err = s.appendEvent(tx, inc, ev); err != nil {
			return err
		}
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		if err := tx.ClearReminder(inc.Number); err != nil {
			return err
		}
		// As an update that resolves: the posts and the edits at once,
		// the next step below the final update in the channel.
		g := &jobGraph{tx: tx, number: inc.Number}
		channelPost, err := addUpdatePosts(g, inc, ev)
		if err != nil {
			return err
		}
		if _, err := addPost(g, TargetChannel, "resolved.tmpl", ev, channelPost); err != nil {
			return err
		}
		if err := enqueueRefreshIn(g); err != nil {
			return err
		}
		res.Incident = inc
		return nil
	})
}
